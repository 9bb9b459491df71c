package clientcert

import (
	"encoding/base64"
	"encoding/pem"
	"testing"
	"time"

	stdx509 "crypto/x509"

	"github.com/siderolabs/crypto/x509"
)

func TestSignKeepsTheBoundsAndTheRoleAndChainsToTheCA(t *testing.T) {
	ca, err := x509.NewSelfSignedCertificateAuthority(x509.Organization("talos"), x509.ECDSA(false))
	if err != nil {
		t.Fatal(err)
	}

	from, until := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	encode := base64.StdEncoding.EncodeToString

	signed, err := Sign(encode(ca.CrtPEM), encode(ca.KeyPEM), []string{"os:admin"}, from, until)
	if err != nil {
		t.Fatal(err)
	}

	crtPEM, err := base64.StdEncoding.DecodeString(signed.Certificate)
	if err != nil {
		t.Fatal(err)
	}

	block, _ := pem.Decode(crtPEM)
	crt, err := stdx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	if !crt.NotBefore.Equal(from) || !crt.NotAfter.Equal(until) || crt.Subject.Organization[0] != "os:admin" {
		t.Fatalf("certificate %v to %v for %v, want %v to %v for os:admin", crt.NotBefore, crt.NotAfter, crt.Subject.Organization, from, until)
	}

	if err := crt.CheckSignatureFrom(ca.Crt); err != nil {
		t.Fatalf("not signed by the CA: %v", err)
	}
}
