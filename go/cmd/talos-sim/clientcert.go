package main

import (
	"fmt"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
)

// runClientCert is `talos-sim client-cert -ca-cert <b64> -ca-key <b64>
// -not-before <RFC3339> -not-after <RFC3339> [-role os:admin]`: the signed
// certificate and key as JSON (clientcert.Signed).
func runClientCert(args []string, stdio cli.IO) error {
	flags := cli.Flags("client-cert", stdio.Stderr)
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

	signed, err := clientcert.Sign(*caCertificate, *caKey, []string{*role}, from, until)
	if err != nil {
		return err
	}

	return cli.PrintJSON(stdio.Stdout, signed)
}
