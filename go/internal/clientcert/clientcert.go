// Package clientcert signs Talos API client certificates with chosen
// validity bounds, for tests that need a credential from the past: a
// talosconfig whose certificate has already expired, as one provider 0.5.0
// signed a year ago would have. The nodes (simulated or real) check the
// bounds at the handshake, as Talos' apid does.
package clientcert

import (
	"encoding/base64"
	"fmt"
	"time"

	stdx509 "crypto/x509"

	"github.com/siderolabs/crypto/x509"
)

// Signed is a client certificate and its key, base64 PEM as talosconfig and
// the Terraform state hold them.
type Signed struct {
	Certificate string `json:"client_certificate"`
	Key         string `json:"client_key"`
}

// Sign signs a certificate for the roles (its organizations) with a CA given
// as base64 PEM (certificate, key), valid from notBefore to notAfter.
func Sign(caCertificate, caKey string, roles []string, notBefore, notAfter time.Time) (*Signed, error) {
	crt, err := base64.StdEncoding.DecodeString(caCertificate)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}

	key, err := base64.StdEncoding.DecodeString(caKey)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}

	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(&x509.PEMEncodedCertificateAndKey{Crt: crt, Key: key})
	if err != nil {
		return nil, err
	}

	pair, err := NewKeyPair(ca, notBefore, notAfter, x509.Organization(roles...))
	if err != nil {
		return nil, err
	}

	encode := base64.StdEncoding.EncodeToString

	return &Signed{Certificate: encode(pair.CrtPEM), Key: encode(pair.KeyPEM)}, nil
}

// NewKeyPair signs a client certificate (client authentication) with ca, for
// the subject options (x509.Organization for Talos roles, x509.CommonName),
// valid from notBefore to notAfter: bounds at a clock of the caller's choice
// (the library's own NotBefore is real time).
func NewKeyPair(ca *x509.CertificateAuthority, notBefore, notAfter time.Time, subject ...x509.Option) (*x509.KeyPair, error) {
	return x509.NewKeyPair(ca, append(subject,
		x509.NotBefore(notBefore),
		x509.NotAfter(notAfter),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}),
	)...)
}
