package sealedbackup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestThePassphraseComesFromTheEnvironment(t *testing.T) {
	t.Setenv(PassphraseVariable, "")

	if _, err := PassphraseFromEnv(); err == nil || err.Error() != "CLOUDKOFFER_SECRETS_PASSPHRASE is not set: the passphrase of the state (TF_VAR_state_passphrase)" {
		t.Fatalf("empty: %v", err)
	}

	t.Setenv(PassphraseVariable, string(thePassphrase))

	if key, err := PassphraseFromEnv(); err != nil || !bytes.Equal(key, thePassphrase) {
		t.Fatalf("set: %q, %v", key, err)
	}
}

func TestUnsealWritesTheSecretsOnceWithMode0600(t *testing.T) {
	cheap(t)

	dir := t.TempDir()
	file, out := filepath.Join(dir, "backup"), filepath.Join(dir, "secrets.yaml")

	if err := sealInto(file, secrets, thePassphrase); err != nil {
		t.Fatal(err)
	}

	if err := Unseal(UnsealOptions{File: file, Out: out, Passphrase: thePassphrase}); err != nil {
		t.Fatal(err)
	}

	if held, _ := os.ReadFile(out); !bytes.Equal(held, secrets) { //nolint:errcheck
		t.Fatalf("unsealed %q", held)
	}

	if info, _ := os.Stat(out); info.Mode().Perm() != 0o600 { //nolint:errcheck
		t.Fatalf("mode %v", info.Mode().Perm())
	}

	// Never over an existing file: the error an exclusive create gives.
	if err := Unseal(UnsealOptions{File: file, Out: out, Passphrase: thePassphrase}); err == nil || err.Error() != "open "+out+": file exists" {
		t.Fatalf("over an existing file: %v", err)
	}

	err := Unseal(UnsealOptions{File: file, Out: filepath.Join(dir, "other.yaml"), Passphrase: []byte("another passphrase, long enough")})
	if err == nil || !strings.HasPrefix(err.Error(), file+": it does not open with this passphrase") {
		t.Fatalf("another passphrase: %v", err)
	}

	if entries, _ := os.ReadDir(dir); len(entries) != 2 { //nolint:errcheck
		t.Fatalf("%d files in the folder, want the backup and the secrets", len(entries))
	}
}
