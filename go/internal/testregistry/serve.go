package testregistry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

// Server is a running registry.
type Server struct {
	// URL is https://<address>:<port>, without a trailing slash.
	URL string
	// CAFile holds the certificate (PEM) of the CA that signed the server's
	// certificate: what SSL_CERT_FILE names for terraform and tofu.
	CAFile string

	server   *http.Server
	registry *Registry
}

// Ready is what `test-registry` prints once it listens: its URL, the
// providers.v1 service URL, the CA file, and every package it serves with its
// sha256. Its fields are in the order of their keys, as a map would print them.
type Ready struct {
	CAFile    string    `json:"ca_file"`
	Packages  []Package `json:"packages"`
	Providers string    `json:"providers"`
	URL       string    `json:"url"`
}

// Ready is what the running registry says of itself.
func (s *Server) Ready() Ready {
	return Ready{CAFile: s.CAFile, Packages: s.registry.Packages(), Providers: s.URL + "/v1/providers/", URL: s.URL}
}

// Start serves the registry on a loopback address (port 0: any free port),
// over TLS with a certificate for that address signed by a CA made here,
// whose certificate it writes to caFile. Each request is logged to log as
// "<method> <path> <status>".
func Start(registry *Registry, address, caFile string, log io.Writer) (*Server, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("-listen %s: %w", address, err)
	}

	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-listen %s: %w", address, ErrNotLoopback)
	}

	certificate, caPEM, err := serverCertificate(ip)
	if err != nil {
		return nil, err
	}

	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		return nil, err
	}

	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, err
	}

	server := &http.Server{
		Handler:           logged(registry.Handler(), log),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{certificate}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}

	go func() { _ = server.ServeTLS(listener, "", "") }()

	return &Server{URL: "https://" + listener.Addr().String(), CAFile: caFile, server: server, registry: registry}, nil
}

// Close stops serving.
func (s *Server) Close() error { return s.server.Close() }

// serverCertificate is a key pair for ip (and the registries' host names),
// signed by a new CA, and that CA's certificate as PEM.
func serverCertificate(ip net.IP) (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}

	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Cloudkoffer test registry CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}

	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}

	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}

	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: ip.String()},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{ip},
		DNSNames:     []string{"localhost", "registry.terraform.io", "registry.opentofu.org"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}

	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}

	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func logged(handler http.Handler, log io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		handler.ServeHTTP(recorder, req)
		fmt.Fprintf(log, "%s %s %d\n", req.Method, req.URL.Path, recorder.status)
	})
}
