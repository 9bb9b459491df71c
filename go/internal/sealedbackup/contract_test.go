package sealedbackup

import (
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

func TestTheSealedBackupIsAsTheContractSays(t *testing.T) {
	sealed := envelope{
		Format:     Format,
		KDF:        "pbkdf2-sha512",
		Iterations: 600000,
		Salt:       []byte("salt: 32 bytes, a placeholder..."),
		Cipher:     "aes-256-gcm",
		Nonce:      []byte("nonce 12 b.."),
		Ciphertext: []byte("ciphertext and its 16-byte GCM tag"),
	}

	if err := contract.Matches("sealed-backup.json", sealed); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("sealed-backup.json", &envelope{}); err != nil {
		t.Error(err)
	}
}

func TestSealWritesTheShapeOfTheContract(t *testing.T) {
	cheap(t)

	written, err := Seal(secrets, thePassphrase)
	if err != nil {
		t.Fatal(err)
	}

	if err := contract.SameShape("sealed-backup.json", written); err != nil {
		t.Error(err)
	}

	golden, err := contract.Golden("sealed-backup.json")
	if err != nil {
		t.Fatal(err)
	}

	// The golden file is a sealed backup as IsSealed knows one.
	if !IsSealed(golden) {
		t.Error("the golden sealed backup is not sealed to IsSealed")
	}
}
