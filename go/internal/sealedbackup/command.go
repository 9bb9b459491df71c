package sealedbackup

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// PassphraseVariable is the environment variable the commands read the
// passphrase from: never an argument, which every user of the machine sees.
const PassphraseVariable = "CLOUDKOFFER_SECRETS_PASSPHRASE"

func passphrase() ([]byte, error) {
	value, ok := os.LookupEnv(PassphraseVariable)
	if !ok || value == "" {
		return nil, fmt.Errorf("%s is not set: the passphrase of the state (TF_VAR_state_passphrase)", PassphraseVariable)
	}

	return []byte(value), nil
}

// RunSeal is `cloudkoffer-talos seal -file F`: the secrets.yaml on stdin,
// sealed into F (see Backup). It says what it did on stdout.
func RunSeal(args []string, stdin io.Reader, stdout io.Writer) error {
	flags := flag.NewFlagSet("seal", flag.ContinueOnError)
	file := flags.String("file", "", "the sealed backup to write (mode 0600)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *file == "" {
		return errors.New("seal: -file is required")
	}

	key, err := passphrase()
	if err != nil {
		return err
	}

	secrets, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}

	outcome, kept, err := Backup(*file, secrets, key, time.Now())
	if err != nil {
		return err
	}

	switch outcome {
	case Written:
		fmt.Fprintf(stdout, "secrets backup: the cluster secrets are sealed in %s (mode 0600, with the state's passphrase)\n", *file)
	case AlreadySealed:
		fmt.Fprintf(stdout, "secrets backup: %s holds these secrets, sealed\n", *file)
	case PlainReplaced:
		fmt.Fprintf(stdout, "secrets backup: %s held these secrets in plain text; it is sealed now (mode 0600, with the state's passphrase)\n", *file)
	case OtherPlainKept:
		fmt.Fprintf(stdout, "secrets backup: %s held other secrets in plain text; kept as %s (not sealed: move it somewhere safe or delete it)\n", *file, kept)
		fmt.Fprintf(stdout, "secrets backup: the cluster secrets are sealed in %s (mode 0600, with the state's passphrase)\n", *file)
	}

	return nil
}

// RunUnseal is `cloudkoffer-talos unseal -file F -out O`: the secrets.yaml
// sealed in F, written to O (mode 0600; never over an existing file).
func RunUnseal(args []string) error {
	flags := flag.NewFlagSet("unseal", flag.ContinueOnError)
	file := flags.String("file", "", "the sealed backup")
	out := flags.String("out", "", "where to write the secrets.yaml (mode 0600; must not exist)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *file == "" || *out == "" {
		return errors.New("unseal: -file and -out are required")
	}

	key, err := passphrase()
	if err != nil {
		return err
	}

	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}

	secrets, err := Open(data, key)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}

	created, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}

	if _, err := created.Write(secrets); err != nil {
		created.Close() //nolint:errcheck

		return err
	}

	return created.Close()
}
