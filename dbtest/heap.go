package dbtest

import (
	"runtime"
	"sync"
	"time"
)

// LiveHeapPeak runs fn while sampling the live heap (after a collection) every few milliseconds, and answers
// how far above its level before fn it went. The heap is the whole process's: benchmarks report it, and a
// test that bounds it must have nothing else running beside fn.
func LiveHeapPeak(fn func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak - base
}
