package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/sealing"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their files and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "impactledger.test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// freeAddr returns a loopback host:port that nothing listens on.
func freeAddr(t *testing.T) string { return freeAddrOn(t, "127.0.0.1") }

// freeAddrOn returns a host:port on host that nothing listens on.
func freeAddrOn(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs serve until the test ends and returns its log; ready says when it answers.
func startServe(t *testing.T, ready func() bool) *syncWriter {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	logs := &syncWriter{w: &bytes.Buffer{}}
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, nil, nil, io.Discard, logs) }()
	t.Cleanup(func() {
		stop()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("the service did not become ready; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return logs
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*bytes.Buffer).String()
}

// TestServeSpeaksTLSWhenConfigured: with a certificate and key the service serves HTTPS only, TLS 1.2 or
// later, tells browsers to stay on HTTPS, and its health check still finds it ready.
func TestServeSpeaksTLSWhenConfigured(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	addr := freeAddr(t)
	t.Setenv("IMPACTLEDGER_ADDR", addr)
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "tls.db"))
	t.Setenv("IMPACTLEDGER_LOG_FORMAT", "json")
	t.Setenv("IMPACTLEDGER_TLS_CERT_FILE", certFile)
	t.Setenv("IMPACTLEDGER_TLS_KEY_FILE", keyFile)
	trusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	logs := startServe(t, func() bool {
		res, err := trusting.Get("https://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})

	res, err := trusting.Get("https://" + addr + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=63072000" {
		t.Errorf("Strict-Transport-Security = %q", got)
	}
	if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Errorf("negotiated %+v", res.TLS)
	}
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if res, err := old.Get("https://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
	if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served beside HTTPS")
		}
	}
	if code := run(context.Background(), []string{"healthcheck"}, nil, io.Discard, io.Discard); code != 0 {
		t.Errorf("healthcheck over HTTPS: exit %d", code)
	}
	if !strings.Contains(logs.String(), `"addr":"https://`+addr) {
		t.Errorf("the start-up line does not say https: %s", logs.String())
	}
	if strings.Contains(logs.String(), "plain HTTP") {
		t.Errorf("warned about plain HTTP while serving HTTPS: %s", logs.String())
	}
}

// TestTransportWarnings: plain HTTP reachable from other machines without a proxy in front is warned about at
// start-up; loopback, a trusted proxy or native TLS are not.
func TestTransportWarnings(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		proxies []string
		tls     bool
		warn    bool
	}{
		{"127.0.0.1:8080", nil, false, false},
		{"[::1]:8080", nil, false, false},
		{"localhost:8080", nil, false, false},
		{"0.0.0.0:8080", nil, false, true},
		{"[::]:8080", nil, false, true},
		{":8080", nil, false, true},
		{"10.1.2.3:8080", nil, false, true},
		{"app.internal:8080", nil, false, true},
		{"0.0.0.0:8080", []string{"10.0.0.1"}, false, false},
		{"0.0.0.0:8443", nil, true, false},
	} {
		cfg := config{TrustedProxies: tc.proxies}
		if tc.tls {
			cfg.TLSCertFile, cfg.TLSKeyFile = "cert.pem", "key.pem"
		}
		if got := transportWarning(cfg, tc.addr) != ""; got != tc.warn {
			t.Errorf("%s (proxies %v, TLS %v): warned %v; want %v", tc.addr, tc.proxies, tc.tls, got, tc.warn)
		}
	}

	// And the real service says so in its log.
	addr := freeAddrOn(t, "0.0.0.0")
	t.Setenv("IMPACTLEDGER_ADDR", addr)
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "plain.db"))
	t.Setenv("IMPACTLEDGER_LOG_FORMAT", "json")
	_, port, _ := net.SplitHostPort(addr)
	logs := startServe(t, func() bool {
		res, err := http.Get("http://127.0.0.1:" + port + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if !strings.Contains(logs.String(), "serving plain HTTP beyond this machine") {
		t.Errorf("no warning about plain HTTP on %s: %s", addr, logs.String())
	}
}

// TestStartupWarnsWhenTheKeysTravelWithTheData: the embedded SQLite default keeps its key file beside the
// database, so a copy of the data folder opens everything; every start says so, and says nothing once the
// keys live elsewhere.
func TestStartupWarnsWhenTheKeysTravelWithTheData(t *testing.T) {
	const warning = "the encryption key file sits with the data it protects"
	serveOnce := func(t *testing.T, dbPath string) string {
		t.Helper()
		addr := freeAddr(t)
		t.Setenv("IMPACTLEDGER_ADDR", addr)
		t.Setenv("DATABASE_URL", "sqlite:"+dbPath)
		t.Setenv("IMPACTLEDGER_LOG_FORMAT", "json")
		ctx, stop := context.WithCancel(context.Background())
		logs := &syncWriter{w: &bytes.Buffer{}}
		exited := make(chan int, 1)
		go func() { exited <- run(ctx, nil, nil, io.Discard, logs) }()
		waitReady(t, "http://"+addr)
		stop()
		<-exited
		return logs.String()
	}
	data := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(data, "impactledger.db")
	first := serveOnce(t, db)
	if !strings.Contains(first, warning) || !strings.Contains(first, keyFileOf(db)) {
		t.Errorf("the first start did not warn that the key file is beside the database: %s", first)
	}
	if again := serveOnce(t, db); !strings.Contains(again, warning) {
		t.Errorf("a later start did not warn again: %s", again)
	}

	// The same keys moved to another volume: no warning.
	elsewhere := filepath.Join(t.TempDir(), "keys")
	if err := os.Rename(keyFileOf(db), elsewhere); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS_FILE", elsewhere)
	if moved := serveOnce(t, db); strings.Contains(moved, warning) {
		t.Errorf("warned with the keys kept elsewhere: %s", moved)
	}
	// A key file put back in the data folder by name is warned about too.
	inside := filepath.Join(data, "keys")
	raw, _ := os.ReadFile(elsewhere)
	if err := os.WriteFile(inside, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS_FILE", inside)
	if back := serveOnce(t, db); !strings.Contains(back, warning) {
		t.Errorf("no warning with IMPACTLEDGER_ENCRYPTION_KEYS_FILE inside the data folder: %s", back)
	}
}

// TestTLSSettingsComeInPairs: a certificate without its key (or the reverse) is a configuration error.
func TestTLSSettingsComeInPairs(t *testing.T) {
	for _, env := range []map[string]string{
		{"IMPACTLEDGER_TLS_CERT_FILE": "cert.pem"},
		{"IMPACTLEDGER_TLS_KEY_FILE": "key.pem"},
	} {
		_, err := loadConfig(func(k string) string { return env[k] }, false)
		if err == nil || !strings.Contains(err.Error(), "set both") {
			t.Errorf("%v: %v", env, err)
		}
	}
	entry, err := sealing.GenerateKEK(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"IMPACTLEDGER_TLS_CERT_FILE": "cert.pem", "IMPACTLEDGER_TLS_KEY_FILE": "key.pem",
		"IMPACTLEDGER_ENCRYPTION_KEYS": entry}
	if cfg, err := loadConfig(func(k string) string { return env[k] }, false); err != nil || cfg.TLSKeyFile != "key.pem" {
		t.Errorf("both set: %+v, %v", cfg, err)
	}
}
