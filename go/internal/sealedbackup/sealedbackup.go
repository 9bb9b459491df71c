// Package sealedbackup keeps the cluster's secrets backup (Talos'
// secrets.yaml) encrypted at rest when the state is: sealed with a key derived
// from the state's passphrase as OpenTofu's pbkdf2 key provider derives it
// (PBKDF2-HMAC-SHA512, 600000 iterations, 32-byte salt), and AES-256-GCM, as
// OpenTofu's aes_gcm method encrypts the state.
//
// A sealed backup is a small JSON document: which sealing it is, the salt,
// the nonce and the ciphertext. Nothing in it is secret without the passphrase.
package sealedbackup

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/atomicfile"
	"golang.org/x/crypto/pbkdf2"
	"gopkg.in/yaml.v3"
)

// Format names a sealed backup, and its version.
const Format = "cloudkoffer sealed secrets backup v1"

// OpenTofu's pbkdf2 defaults: what a user who knows the state's encryption expects.
const (
	saltLength = 32
	keyLength  = 32
)

// iterations of PBKDF2 for a new seal; Open reads them from the backup.
var iterations = 600000

// MinPassphrase is the shortest passphrase OpenTofu's pbkdf2 key provider accepts.
const MinPassphrase = 16

// ErrWrongPassphrase is returned when a sealed backup does not open with the passphrase.
var ErrWrongPassphrase = errors.New("it does not open with this passphrase: sealed with another one, or altered")

type envelope struct {
	Format     string `json:"format"`
	KDF        string `json:"kdf"`
	Iterations int    `json:"iterations"`
	Salt       []byte `json:"salt"`
	Cipher     string `json:"cipher"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// header is the additional data GCM authenticates: a changed iteration count
// or format does not open.
func (e envelope) header() []byte {
	return []byte(fmt.Sprintf("%s %s %d %s", e.Format, e.KDF, e.Iterations, e.Cipher))
}

// IsSealed reports whether data is a sealed backup (and not, say, a plain secrets.yaml).
func IsSealed(data []byte) bool {
	var sealed envelope

	return json.Unmarshal(data, &sealed) == nil && sealed.Format == Format
}

func checkPassphrase(passphrase []byte) error {
	if len(passphrase) < MinPassphrase {
		return fmt.Errorf("the passphrase has %d characters; it needs at least %d", len(passphrase), MinPassphrase)
	}

	return nil
}

func gcm(passphrase, salt []byte, rounds int) (cipher.AEAD, error) {
	block, err := aes.NewCipher(pbkdf2.Key(passphrase, salt, rounds, keyLength, sha512.New))
	if err != nil {
		return nil, err
	}

	return cipher.NewGCM(block)
}

// Seal encrypts plaintext with a key derived from passphrase and a fresh salt.
func Seal(plaintext, passphrase []byte) ([]byte, error) {
	if err := checkPassphrase(passphrase); err != nil {
		return nil, err
	}

	sealed := envelope{Format: Format, KDF: "pbkdf2-sha512", Iterations: iterations, Cipher: "aes-256-gcm", Salt: make([]byte, saltLength)}
	if _, err := rand.Read(sealed.Salt); err != nil {
		return nil, err
	}

	aead, err := gcm(passphrase, sealed.Salt, sealed.Iterations)
	if err != nil {
		return nil, err
	}

	sealed.Nonce = make([]byte, aead.NonceSize())
	if _, err := rand.Read(sealed.Nonce); err != nil {
		return nil, err
	}

	sealed.Ciphertext = aead.Seal(nil, sealed.Nonce, plaintext, sealed.header())

	out, err := json.MarshalIndent(sealed, "", "  ")
	if err != nil {
		return nil, err
	}

	return append(out, '\n'), nil
}

// Open decrypts a sealed backup.
func Open(data, passphrase []byte) ([]byte, error) {
	var sealed envelope
	if err := json.Unmarshal(data, &sealed); err != nil || sealed.Format != Format {
		return nil, errors.New("it is not a sealed secrets backup")
	}

	if sealed.KDF != "pbkdf2-sha512" || sealed.Cipher != "aes-256-gcm" || sealed.Iterations < 1 {
		return nil, fmt.Errorf("it is sealed with %s and %s (%d iterations), which this tool does not know", sealed.KDF, sealed.Cipher, sealed.Iterations)
	}

	aead, err := gcm(passphrase, sealed.Salt, sealed.Iterations)
	if err != nil {
		return nil, err
	}

	if len(sealed.Nonce) != aead.NonceSize() {
		return nil, ErrWrongPassphrase
	}

	plaintext, err := aead.Open(nil, sealed.Nonce, sealed.Ciphertext, sealed.header())
	if err != nil {
		return nil, ErrWrongPassphrase
	}

	return plaintext, nil
}

// Outcome says what Backup did.
type Outcome string

// What Backup did.
const (
	Written        Outcome = "written"
	AlreadySealed  Outcome = "already sealed"
	PlainReplaced  Outcome = "plain replaced"
	OtherPlainKept Outcome = "other plain kept"
)

// Backup seals secrets into file, atomically and mode 0600, once per set of
// secrets:
//   - no file: written;
//   - a backup sealed with the same secrets: left as it is;
//   - a plain-text backup of the same secrets (from before the state was
//     encrypted): replaced by the sealed one, so no plain copy stays;
//   - a plain-text file of other secrets: kept beside as file.replaced-<time>
//     (named in kept), then written;
//   - a backup sealed with other secrets, or with another passphrase: an
//     error, and nothing written. The state lost the secrets it was made
//     with; they are in that backup.
func Backup(file string, secrets, passphrase []byte, now time.Time) (outcome Outcome, kept string, err error) {
	existing, err := os.ReadFile(file)

	switch {
	case errors.Is(err, os.ErrNotExist):
		return written(file, secrets, passphrase, Written)
	case err != nil:
		return "", "", err
	case IsSealed(existing):
		held, openErr := Open(existing, passphrase)
		if openErr != nil {
			return "", "", fmt.Errorf("%s: %w", file, openErr)
		}

		if !sameSecrets(held, secrets) {
			return "", "", fmt.Errorf("%s holds other cluster secrets than this state: the state lost the secrets the nodes were configured with. "+
				"Nothing was applied to any node. Adopt the backup: tofu state rm talos_machine_secrets.this tls_locally_signed_cert.admin "+
				"(the secrets this apply made, and what it signed with them), then npm run deploy; or, for a new cluster, move %s away", file, file)
		}

		return AlreadySealed, "", nil
	case sameSecrets(existing, secrets):
		return written(file, secrets, passphrase, PlainReplaced)
	default:
		kept = fmt.Sprintf("%s.replaced-%s", file, now.UTC().Format("20060102T150405Z"))
		if err := os.Rename(file, kept); err != nil {
			return "", "", err
		}

		outcome, _, err = written(file, secrets, passphrase, OtherPlainKept)

		return outcome, kept, err
	}
}

// sameSecrets reports whether two secrets.yaml hold the same secrets, however
// they are laid out (terraform's yamlencode, or npm run deploy restoring it).
func sameSecrets(a, b []byte) bool {
	var x, y map[string]any
	if yaml.Unmarshal(a, &x) != nil || yaml.Unmarshal(b, &y) != nil || x == nil {
		return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b))
	}

	return reflect.DeepEqual(x, y)
}

func written(file string, secrets, passphrase []byte, outcome Outcome) (Outcome, string, error) {
	sealed, err := Seal(secrets, passphrase)
	if err != nil {
		return "", "", err
	}

	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", "", err
	}

	return outcome, "", atomicfile.Write(file, sealed)
}
