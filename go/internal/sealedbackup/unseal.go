package sealedbackup

import (
	"fmt"
	"os"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/atomicfile"
)

// PassphraseVariable is the environment variable the commands read the
// passphrase from: never an argument, which every user of the machine sees.
const PassphraseVariable = "CLOUDKOFFER_SECRETS_PASSPHRASE"

// PassphraseFromEnv is the passphrase in PassphraseVariable; unset or empty is an error.
func PassphraseFromEnv() ([]byte, error) {
	value, ok := os.LookupEnv(PassphraseVariable)
	if !ok || value == "" {
		return nil, fmt.Errorf("%s is not set: the passphrase of the state (TF_VAR_state_passphrase)", PassphraseVariable)
	}

	return []byte(value), nil
}

// UnsealOptions are what Unseal opens, with what, and where the secrets go.
type UnsealOptions struct {
	// File is the sealed backup.
	File string
	// Out is where the secrets.yaml goes: mode 0600, and never over an existing file.
	Out string
	// Passphrase is the state's passphrase, which the backup was sealed with.
	Passphrase []byte
}

// Unseal writes the secrets.yaml sealed in File to Out (atomically, mode
// 0600; Out must not exist).
func Unseal(opts UnsealOptions) error {
	data, err := os.ReadFile(opts.File)
	if err != nil {
		return err
	}

	secrets, err := Open(data, opts.Passphrase)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.File, err)
	}

	return atomicfile.WriteNew(opts.Out, secrets)
}
