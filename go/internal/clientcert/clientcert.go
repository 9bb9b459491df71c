// Package clientcert signs Talos API client certificates with chosen
// validity bounds, for tests that need a credential from the past: a
// talosconfig whose certificate has already expired, as one provider 0.5.0
// signed a year ago would have. The nodes (simulated or real) check the
// bounds at the handshake, as Talos' apid does.
package clientcert

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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

	pair, err := x509.NewKeyPair(ca,
		x509.Organization(roles...),
		x509.NotBefore(notBefore),
		x509.NotAfter(notAfter),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}),
	)
	if err != nil {
		return nil, err
	}

	encode := base64.StdEncoding.EncodeToString

	return &Signed{Certificate: encode(pair.CrtPEM), Key: encode(pair.KeyPEM)}, nil
}

// Run is `talos-sim client-cert -ca-cert <b64> -ca-key <b64> -not-before <RFC3339> -not-after <RFC3339> [-roles os:admin]`:
// prints the signed certificate and key as JSON.
func Run(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("client-cert", flag.ContinueOnError)
	caCertificate := flags.String("ca-cert", "", "the CA certificate, base64 PEM (machine_secrets.certs.os.cert)")
	caKey := flags.String("ca-key", "", "the CA key, base64 PEM (machine_secrets.certs.os.key)")
	notBefore := flags.String("not-before", "", "start of validity, RFC 3339")
	notAfter := flags.String("not-after", "", "end of validity, RFC 3339")
	role := flags.String("role", "os:admin", "the Talos role (organization)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	from, err := time.Parse(time.RFC3339, *notBefore)
	if err != nil {
		return fmt.Errorf("-not-before: %w", err)
	}

	until, err := time.Parse(time.RFC3339, *notAfter)
	if err != nil {
		return fmt.Errorf("-not-after: %w", err)
	}

	signed, err := Sign(*caCertificate, *caKey, []string{*role}, from, until)
	if err != nil {
		return err
	}

	return json.NewEncoder(out).Encode(signed)
}
