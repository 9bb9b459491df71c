package simulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	stdx509 "crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// errNoSigningCA: a worker's configuration carries the OS CA certificate but
// not its key; a real worker gets its certificate from trustd on a control
// plane, so it waits until a control plane of its cluster is configured.
var errNoSigningCA = errors.New("no OS CA key to sign the API certificate with")

// maintenanceCredentials: TLS with a throwaway self-signed certificate and no
// client authentication, as Talos' maintenance service.
func maintenanceCredentials(address string) (credentials.TransportCredentials, error) {
	ca, err := x509.NewSelfSignedCertificateAuthority(x509.Organization("talos-maintenance"))
	if err != nil {
		return nil, err
	}

	keyPair, err := x509.NewKeyPair(ca,
		x509.CommonName("maintenance-service"),
		x509.IPAddresses([]net.IP{net.ParseIP(address)}),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}),
	)
	if err != nil {
		return nil, err
	}

	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{*keyPair.Certificate},
		ClientAuth:   tls.NoClientCert,
		MinVersion:   tls.VersionTLS12,
	}), nil
}

// configuredCredentialsLocked: mTLS as apid serves it. The server certificate
// is signed by the OS CA of the applied configuration (IP SANs: the node's
// address and the IP certSANs); clients must present a certificate signed by
// that CA or an accepted one, valid at the node's clock (sim.now).
//
// The server certificate is issued at real time, as before: clients, which run
// at real time, verify it, and they must go on accepting it after a test moved
// the nodes' clock.
func (n *Node) configuredCredentialsLocked() (credentials.TransportCredentials, error) {
	security := n.config.Machine().Security()

	issuing := security.IssuingCA()
	if issuing == nil || len(issuing.Crt) == 0 {
		return nil, errors.New("the configuration has no OS CA (machine.ca)")
	}

	signing := issuing
	if len(signing.Key) == 0 {
		signing = n.sim.signingCAFor(issuing.Crt)
		if signing == nil {
			return nil, errNoSigningCA
		}
	}

	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(signing)
	if err != nil {
		return nil, fmt.Errorf("machine.ca: %w", err)
	}

	ips := []net.IP{net.ParseIP(n.address)}

	var dnsNames []string

	for _, san := range security.CertSANs() {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else {
			dnsNames = append(dnsNames, san)
		}
	}

	keyPair, err := x509.NewKeyPair(ca,
		x509.CommonName(n.address),
		x509.IPAddresses(ips),
		x509.DNSNames(dnsNames),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}),
	)
	if err != nil {
		return nil, err
	}

	clientCAs := stdx509.NewCertPool()
	clientCAs.AppendCertsFromPEM(issuing.Crt)

	for _, accepted := range security.AcceptedCAs() {
		clientCAs.AppendCertsFromPEM(accepted.Crt)
	}

	n.clientCAs = clientCAs

	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{*keyPair.Certificate},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		MinVersion:   tls.VersionTLS12,
		// Read at every handshake, so that moving the clock after the boot
		// expires client certificates at once, as apid's clock would.
		Time: n.sim.now,
	}), nil
}

// signingCAFor finds the OS CA with its key on a configured control plane of
// the same cluster (what trustd hands a worker).
func (s *Simulator) signingCAFor(crt []byte) *x509.PEMEncodedCertificateAndKey {
	for _, node := range s.allNodes() {
		if issuing := node.controlPlaneIssuingCA(); issuing != nil && bytes.Equal(issuing.Crt, crt) {
			return issuing
		}
	}

	return nil
}

func (n *Node) controlPlaneIssuingCA() *x509.PEMEncodedCertificateAndKey {
	if !n.mu.TryLock() {
		// The node is busy (maybe it is the one asking); a later retry finds it.
		return nil
	}
	defer n.mu.Unlock()

	if n.config == nil || !n.config.Machine().Type().IsControlPlane() {
		return nil
	}

	issuing := n.config.Machine().Security().IssuingCA()
	if issuing == nil || len(issuing.Key) == 0 {
		return nil
	}

	return issuing
}

// peerCertificate is the client's leaf certificate, nil without one (maintenance mode).
func peerCertificate(ctx context.Context) *stdx509.Certificate {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil
	}

	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return nil
	}

	return info.State.PeerCertificates[0]
}

// peerRoles are the Talos roles of the client certificate (its Organization).
func peerRoles(ctx context.Context) role.Set {
	cert := peerCertificate(ctx)
	if cert == nil {
		return role.MakeSet()
	}

	roles, _ := role.Parse(cert.Subject.Organization)

	return roles
}

// peerCertificateDigest names the client certificate of a call for tests: the
// lower-case hex SHA-256 of its DER, "" without one.
func peerCertificateDigest(ctx context.Context) string {
	cert := peerCertificate(ctx)
	if cert == nil {
		return ""
	}

	digest := sha256.Sum256(cert.Raw)

	return hex.EncodeToString(digest[:])
}

// verifyForwardedClient is the TLS check of a configured node's API for a
// call another node forwards to it in-process: the client's certificate
// must be signed by a CA this node accepts and valid at the nodes' clock.
// The error is what the forwarding side sees of a refused handshake.
func (n *Node) verifyForwardedClient(ctx context.Context, clientCAs *stdx509.CertPool) error {
	var chain []*stdx509.Certificate

	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			chain = info.State.PeerCertificates
		}
	}

	if len(chain) == 0 {
		return errors.New("remote error: tls: certificate required")
	}

	intermediates := stdx509.NewCertPool()
	for _, cert := range chain[1:] {
		intermediates.AddCert(cert)
	}

	_, err := chain[0].Verify(stdx509.VerifyOptions{
		Roots:         clientCAs,
		Intermediates: intermediates,
		CurrentTime:   n.sim.now(),
		KeyUsages:     []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth},
	})

	// The alerts Go's TLS server sends for a client certificate it refuses.
	var (
		unknown stdx509.UnknownAuthorityError
		invalid stdx509.CertificateInvalidError
	)

	switch {
	case err == nil:
		return nil
	case errors.As(err, &unknown):
		return errors.New("remote error: tls: unknown certificate authority")
	case errors.As(err, &invalid) && invalid.Reason == stdx509.Expired:
		return errors.New("remote error: tls: expired certificate")
	default:
		return errors.New("remote error: tls: bad certificate")
	}
}
