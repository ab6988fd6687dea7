package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/impactledger/impactledger/models"
)

// serverTLS loads the certificate and key that make the service speak HTTPS itself, or returns nil when none
// is configured. TLS 1.2 is the oldest version offered (CJIS SC-8, ASVS 12.1.1); Go's defaults choose the
// cipher suites, all of them AEAD with forward secrecy on TLS 1.2.
func serverTLS(cfg config) (*tls.Config, error) {
	if cfg.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", cfg.TLSCertFile, cfg.TLSKeyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// beyondLoopback reports whether a listening address can be reached from other machines: any address but a
// loopback one, including all interfaces (an empty host, 0.0.0.0, ::) and host names.
func beyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// transportWarning says what is wrong with how the service is reached, or "": plain HTTP beyond this machine
// with no proxy in front that could have ended TLS sends passwords, session cookies and victims' data in the
// clear.
func transportWarning(cfg config, listening string) string {
	if cfg.TLSCertFile != "" || len(cfg.TrustedProxies) > 0 || !beyondLoopback(listening) {
		return ""
	}
	return "serving plain HTTP beyond this machine: passwords, session cookies and victims' data would cross the " +
		"network in the clear. Put a TLS-terminating reverse proxy in front and list it in " +
		"IMPACTLEDGER_TRUSTED_PROXIES, or set IMPACTLEDGER_TLS_CERT_FILE and IMPACTLEDGER_TLS_KEY_FILE"
}

// keysBesideData names the key-encryption key file when it sits with the data it opens — the embedded SQLite
// default keeps it beside the database — so that a copy of the data folder (a backup, a stolen disk) opens
// everything; "" when the keys come from elsewhere.
func keysBesideData(cfg config) string {
	if cfg.KeysFile == "" {
		return ""
	}
	for _, data := range []string{cfg.DocumentsDir, sqliteFolder(cfg)} {
		if data != "" && within(cfg.KeysFile, data) {
			return cfg.KeysFile
		}
	}
	return ""
}

// sqliteFolder is the folder of a SQLite database, or "" on PostgreSQL.
func sqliteFolder(cfg config) string {
	if cfg.DB.Dialect != models.SQLite {
		return ""
	}
	return filepath.Dir(cfg.DB.DSN)
}

// within reports whether path lies in folder or below it.
func within(path, folder string) bool {
	p, err1 := filepath.Abs(path)
	f, err2 := filepath.Abs(folder)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(f, filepath.Dir(p))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// warnAboutKeysBesideData logs, at every start, that the keys travel with the data, and how to keep them apart.
func warnAboutKeysBesideData(log *slog.Logger, cfg config) {
	if file := keysBesideData(cfg); file != "" {
		log.Warn("the encryption key file sits with the data it protects: anyone with a copy of the data folder "+
			"can read every sealed value. Keep the keys elsewhere: move the file to another volume (or a secret "+
			"store) and point IMPACTLEDGER_ENCRYPTION_KEYS_FILE at it (README: Keys)", "key_file", file)
	}
}

// pinnedClient is an HTTPS client for the health check, which asks the service on this machine by address,
// not by the name its certificate carries: it accepts exactly the configured certificate and nothing else.
func pinnedClient(certFile string) (*http.Client, error) {
	raw, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("reading IMPACTLEDGER_TLS_CERT_FILE: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("IMPACTLEDGER_TLS_CERT_FILE %s holds no PEM certificate", certFile)
	}
	leaf := block.Bytes
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The name is not checked (the service is asked at 127.0.0.1); the certificate itself is.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if len(rawCerts) == 0 || !bytes.Equal(rawCerts[0], leaf) {
				return errors.New("the service presented a certificate other than IMPACTLEDGER_TLS_CERT_FILE")
			}
			return nil
		},
	}}}, nil
}
