package sealedbackup

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	thePassphrase = []byte("correct horse battery staple")
	secrets       = []byte("cluster:\n  id: abc\n  secret: very-secret-value\n")
	now           = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
)

func TestSealOpensOnlyWithThePassphrase(t *testing.T) {
	sealed, err := Seal(secrets, thePassphrase)
	if err != nil {
		t.Fatal(err)
	}

	if bytes.Contains(sealed, []byte("very-secret-value")) || !IsSealed(sealed) || IsSealed(secrets) {
		t.Fatalf("not sealed: %s", sealed)
	}

	var fields map[string]any
	if err := json.Unmarshal(sealed, &fields); err != nil || fields["iterations"] != float64(600000) || fields["kdf"] != "pbkdf2-sha512" {
		t.Fatalf("not OpenTofu's pbkdf2 defaults: %v", fields)
	}

	opened, err := Open(sealed, thePassphrase)
	if err != nil || !bytes.Equal(opened, secrets) {
		t.Fatalf("Open = %q, %v", opened, err)
	}

	if _, err := Open(sealed, []byte("not the thePassphrase at all")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("another passphrase: %v", err)
	}
}

// cheap lowers the PBKDF2 iterations of new seals for one test: every open costs a second otherwise.
func cheap(t *testing.T) {
	t.Helper()

	iterations = 1000

	t.Cleanup(func() { iterations = 600000 })
}

func TestEachSealHasItsOwnSaltAndNonce(t *testing.T) {
	cheap(t)

	first, _ := Seal(secrets, thePassphrase)  //nolint:errcheck
	second, _ := Seal(secrets, thePassphrase) //nolint:errcheck

	if bytes.Equal(first, second) {
		t.Fatal("two seals of the same secrets are equal")
	}
}

func TestAnAlteredBackupDoesNotOpen(t *testing.T) {
	cheap(t)

	sealed, _ := Seal(secrets, thePassphrase) //nolint:errcheck

	var fields map[string]any
	if err := json.Unmarshal(sealed, &fields); err != nil {
		t.Fatal(err)
	}

	// Fewer iterations would make guessing cheaper: the header is authenticated.
	fields["iterations"] = 999
	altered, _ := json.Marshal(fields) //nolint:errcheck

	if _, err := Open(altered, thePassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("altered header: %v", err)
	}
}

func TestAShortPassphraseIsRefused(t *testing.T) {
	if _, err := Seal(secrets, []byte("short")); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Fatalf("short thePassphrase: %v", err)
	}
}

func TestBackup(t *testing.T) {
	cheap(t)

	other := []byte("cluster:\n  id: other\n")

	for _, tc := range []struct {
		name     string
		existing func(file string) error
		outcome  Outcome
		err      string
		kept     []byte
	}{
		{name: "no file", outcome: Written},
		{name: "sealed, the same secrets", existing: func(file string) error { return sealInto(file, secrets, thePassphrase) }, outcome: AlreadySealed},
		{name: "plain, the same secrets", existing: func(file string) error { return os.WriteFile(file, secrets, 0o600) }, outcome: PlainReplaced},
		{
			name: "plain, the same secrets laid out otherwise",
			existing: func(file string) error {
				return os.WriteFile(file, []byte("cluster: {secret: very-secret-value, id: abc}\n"), 0o600)
			},
			outcome: PlainReplaced,
		},
		{
			name: "sealed, the same secrets laid out otherwise",
			existing: func(file string) error {
				return sealInto(file, []byte("cluster:\n    secret: \"very-secret-value\"\n    id: abc\n"), thePassphrase)
			},
			outcome: AlreadySealed,
		},
		{name: "plain, other secrets", existing: func(file string) error { return os.WriteFile(file, other, 0o600) }, outcome: OtherPlainKept, kept: other},
		{name: "sealed, other secrets", existing: func(file string) error { return sealInto(file, other, thePassphrase) }, err: "holds other cluster secrets than this state"},
		{
			name:     "sealed with another passphrase",
			existing: func(file string) error { return sealInto(file, secrets, []byte("another passphrase, long enough")) },
			err:      "does not open with this passphrase: sealed with another one, or altered",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "terraform.cloudkoffer-v1.secrets.yaml")

			var before []byte

			if tc.existing != nil {
				if err := tc.existing(file); err != nil {
					t.Fatal(err)
				}

				before, _ = os.ReadFile(file) //nolint:errcheck
			}

			outcome, kept, err := Backup(file, secrets, thePassphrase, now)
			if tc.err != "" {
				after, _ := os.ReadFile(file) //nolint:errcheck
				if err == nil || !strings.Contains(err.Error(), tc.err) || !bytes.Equal(after, before) {
					t.Fatalf("Backup = %v, %v; the file changed: %v", outcome, err, !bytes.Equal(after, before))
				}

				return
			}

			if err != nil || outcome != tc.outcome {
				t.Fatalf("Backup = %v, %v; want %v", outcome, err, tc.outcome)
			}

			data, _ := os.ReadFile(file) //nolint:errcheck
			if opened, err := Open(data, thePassphrase); err != nil || !sameSecrets(opened, secrets) {
				t.Fatalf("the backup does not open to the secrets: %v", err)
			}

			if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 { //nolint:errcheck
				t.Fatalf("mode %v", info.Mode().Perm())
			}

			if tc.kept != nil {
				if held, _ := os.ReadFile(kept); !bytes.Equal(held, tc.kept) || kept != file+".replaced-20261129T120000Z" { //nolint:errcheck
					t.Fatalf("kept %s: %q", kept, held)
				}
			}

			// Nothing else is left in the folder: no partial file, no plain copy.
			entries, _ := os.ReadDir(filepath.Dir(file)) //nolint:errcheck
			if want := map[bool]int{true: 2, false: 1}[tc.kept != nil]; len(entries) != want {
				t.Fatalf("%d files in the folder, want %d", len(entries), want)
			}
		})
	}
}

func sealInto(file string, plaintext, key []byte) error {
	sealed, err := Seal(plaintext, key)
	if err != nil {
		return err
	}

	return os.WriteFile(file, sealed, 0o600)
}
