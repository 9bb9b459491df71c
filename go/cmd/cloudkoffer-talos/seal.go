package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/sealedbackup"
)

// sealed says where the secrets are sealed.
const sealed = "secrets backup: the cluster secrets are sealed in %s (mode 0600, with the state's passphrase)\n"

// runSeal is `cloudkoffer-talos seal -file F`: the secrets.yaml on stdin, sealed
// into F (sealedbackup.Backup), with the passphrase in
// CLOUDKOFFER_SECRETS_PASSPHRASE. It says what it did on stdout.
func runSeal(args []string, stdio cli.IO) error {
	flags := cli.Flags("seal", stdio.Stderr)
	file := flags.String("file", "", "the sealed backup to write (mode 0600)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *file == "" {
		return errors.New("seal: -file is required")
	}

	key, err := sealedbackup.PassphraseFromEnv()
	if err != nil {
		return err
	}

	secrets, err := io.ReadAll(stdio.Stdin)
	if err != nil {
		return err
	}

	outcome, kept, err := sealedbackup.Backup(*file, secrets, key, time.Now())
	if err != nil {
		return err
	}

	switch outcome {
	case sealedbackup.Written:
		fmt.Fprintf(stdio.Stdout, sealed, *file)
	case sealedbackup.AlreadySealed:
		fmt.Fprintf(stdio.Stdout, "secrets backup: %s holds these secrets, sealed\n", *file)
	case sealedbackup.PlainReplaced:
		fmt.Fprintf(stdio.Stdout, "secrets backup: %s held these secrets in plain text; it is sealed now (mode 0600, with the state's passphrase)\n", *file)
	case sealedbackup.OtherPlainKept:
		fmt.Fprintf(stdio.Stdout, "secrets backup: %s held other secrets in plain text; kept as %s (not sealed: move it somewhere safe or delete it)\n", *file, kept)
		fmt.Fprintf(stdio.Stdout, sealed, *file)
	}

	return nil
}

// runUnseal is `cloudkoffer-talos unseal -file F -out O`: the secrets.yaml
// sealed in F, written to O (mode 0600; never over an existing file).
func runUnseal(args []string, stdio cli.IO) error {
	flags := cli.Flags("unseal", stdio.Stderr)
	file := flags.String("file", "", "the sealed backup")
	out := flags.String("out", "", "where to write the secrets.yaml (mode 0600; must not exist)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *file == "" || *out == "" {
		return errors.New("unseal: -file and -out are required")
	}

	key, err := sealedbackup.PassphraseFromEnv()
	if err != nil {
		return err
	}

	return sealedbackup.Unseal(sealedbackup.UnsealOptions{File: *file, Out: *out, Passphrase: key})
}
