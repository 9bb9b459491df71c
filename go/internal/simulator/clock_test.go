package simulator

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	stdx509 "crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"gopkg.in/yaml.v3"
)

// bootedNode boots a configured node on 127.0.0.1, on a port the system chooses.
func bootedNode(t *testing.T, sim *Simulator, cfg config.Provider) *Node {
	t.Helper()

	n := newNode(sim, "127.0.0.1")
	n.config = cfg

	if err := n.boot(); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(n.stop)

	return n
}

// osClientCertificate is a client certificate of the configuration's OS CA
// for a role, valid from notBefore to notAfter, as talosctl config new makes.
func osClientCertificate(t *testing.T, cfg config.Provider, role string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()

	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(cfg.Machine().Security().IssuingCA())
	if err != nil {
		t.Fatal(err)
	}

	keyPair, err := clientcert.NewKeyPair(ca, notBefore, notAfter, x509.Organization(role))
	if err != nil {
		t.Fatal(err)
	}

	return *keyPair.Certificate
}

// dial connects to the node as a client with a certificate; the client
// verifies the node's certificate at real time, as every real client does.
// TLS 1.2, so that the node's verdict on the client certificate arrives within
// the client's handshake: with 1.3 the client finishes first, and the alert
// races gRPC's first write (which may fail with a broken pipe instead).
func dial(t *testing.T, n *Node, cfg config.Provider, cert tls.Certificate) machine.MachineServiceClient {
	t.Helper()

	roots := stdx509.NewCertPool()
	roots.AppendCertsFromPEM(cfg.Machine().Security().IssuingCA().Crt)

	conn, err := grpc.Dial(n.listening.String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		ServerName:   n.address,
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
	})))
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { conn.Close() }) //nolint:errcheck

	return machine.NewMachineServiceClient(conn)
}

func version(t *testing.T, client machine.MachineServiceClient) error {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := client.Version(ctx, &emptypb.Empty{})

	return err
}

func TestConfiguredNodesCheckClientCertificatesAtTheirClock(t *testing.T) {
	controlPlane, _ := configs(t)
	sim := &Simulator{nodes: map[string]*Node{}}
	n := bootedNode(t, sim, controlPlane)

	now := time.Now()
	current := osClientCertificate(t, controlPlane, "os:admin", now.Add(-time.Minute), now.Add(time.Hour))
	future := osClientCertificate(t, controlPlane, "os:admin", now.Add(time.Hour), now.Add(3*time.Hour))

	// A new connection for each call: the node checks the certificate at the handshake.
	refusedAsExpired := func(what string, err error) {
		t.Helper()

		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "expired certificate") {
			t.Fatalf("%s: %v, want the handshake refused (tls: expired certificate)", what, err)
		}
	}

	if err := version(t, dial(t, n, controlPlane, current)); err != nil {
		t.Fatalf("a valid certificate: %v", err)
	}

	digest := sha256.Sum256(current.Certificate[0])
	if calls := n.status().Calls; len(calls) != 1 || calls[0].ClientCertificate != hex.EncodeToString(digest[:]) {
		t.Fatalf("calls: %+v, want one with the client certificate's SHA-256 %x", calls, digest)
	}

	refusedAsExpired("a certificate not yet valid", version(t, dial(t, n, controlPlane, future)))

	if err := sim.advanceClock(2 * time.Hour); err != nil {
		t.Fatal(err)
	}

	refusedAsExpired("a certificate expired at the node's clock", version(t, dial(t, n, controlPlane, current)))

	if err := version(t, dial(t, n, controlPlane, future)); err != nil {
		t.Fatalf("a certificate valid at the node's clock: %v", err)
	}

	if calls := n.status().Calls; len(calls) != 2 {
		t.Fatalf("calls: %+v, want the two accepted ones only", calls)
	}
}

func TestTheKubeconfigCertificateIsValidFromTheNodesClockForTheSetValidity(t *testing.T) {
	if validity := (Settings{}).kubeconfigValidity(); validity != 8760*time.Hour {
		t.Fatalf("default kubeconfig validity: %s, want Talos' 8760h", validity)
	}

	controlPlane, _ := configs(t)
	sim := &Simulator{nodes: map[string]*Node{}, settings: Settings{KubeconfigValidity: 48 * time.Hour}}
	n := bootedNode(t, sim, controlPlane)

	if err := sim.advanceClock(24 * time.Hour); err != nil {
		t.Fatal(err)
	}

	// The client's certificate must be valid at the node's clock, a day ahead.
	now := time.Now()
	client := dial(t, n, controlPlane, osClientCertificate(t, controlPlane, "os:admin", now, now.Add(48*time.Hour)))

	before := sim.now().Truncate(time.Second) // X.509 times have whole seconds
	cert := kubeconfigCertificate(t, client)
	after := sim.now()

	if cert.NotBefore.Before(before) || cert.NotBefore.After(after) {
		t.Fatalf("NotBefore %s, want the node's clock, between %s and %s", cert.NotBefore, before, after)
	}

	if validity := cert.NotAfter.Sub(cert.NotBefore); validity != 48*time.Hour {
		t.Fatalf("valid for %s, want the set 48h", validity)
	}
}

// kubeconfigCertificate fetches the admin kubeconfig and returns its client certificate.
func kubeconfigCertificate(t *testing.T, client machine.MachineServiceClient) *stdx509.Certificate {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	stream, err := client.Kubeconfig(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}

	var archive bytes.Buffer

	for {
		data, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			t.Fatalf("Kubeconfig: %v", err)
		}

		archive.Write(data.GetBytes())
	}

	gz, err := gzip.NewReader(&archive)
	if err != nil {
		t.Fatal(err)
	}

	entries := tar.NewReader(gz)
	if _, err := entries.Next(); err != nil {
		t.Fatal(err)
	}

	var kc kubeconfig
	if err := yaml.NewDecoder(entries).Decode(&kc); err != nil {
		t.Fatal(err)
	}

	crtPEM, err := base64.StdEncoding.DecodeString(kc.Users[0].User.ClientCertificateData)
	if err != nil {
		t.Fatal(err)
	}

	block, _ := pem.Decode(crtPEM)
	if block == nil {
		t.Fatal("the kubeconfig's client certificate is not PEM")
	}

	cert, err := stdx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	return cert
}

func TestTheClockOnlyMovesForward(t *testing.T) {
	sim := &Simulator{}
	api := sim.controlAPI()

	post := func(body string) *httptest.ResponseRecorder {
		recorder := httptest.NewRecorder()
		api.ServeHTTP(recorder, httptest.NewRequest(http.MethodPost, "/clock", strings.NewReader(body)))

		return recorder
	}

	if reply := post(`{"advance":"90m"}`); reply.Code != http.StatusOK || !strings.Contains(reply.Body.String(), `"offset":"1h30m0s"`) {
		t.Fatalf("advance 90m: %d %s", reply.Code, reply.Body)
	}

	if reply := post(`{"advance":"-1h"}`); reply.Code != http.StatusBadRequest || !strings.Contains(reply.Body.String(), "only moves forward") {
		t.Fatalf("advance -1h: %d %s, want 400", reply.Code, reply.Body)
	}

	if offset := sim.clockOffset(); offset != 90*time.Minute {
		t.Fatalf("offset %s after a refused advance, want 1h30m", offset)
	}
}
