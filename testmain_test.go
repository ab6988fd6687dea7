package main

import (
	"os"
	"testing"
)

// asMainEnv makes the test binary run as impactledger itself, with its arguments, instead of the tests: for
// tests that start the service as a real process and kill it.
const asMainEnv = "IMPACTLEDGER_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}
