package etcdsnapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// snapshot writes a bolt database shaped as etcd's (a key space of
// revisions, a meta bucket) with the given number of revisions, and returns
// its bytes, followed by their SHA-256 as etcd's Maintenance API appends it
// when withHash is true.
func snapshot(t *testing.T, revisions int, withHash bool) []byte {
	t.Helper()

	file := filepath.Join(t.TempDir(), "db")

	db, err := bolt.Open(file, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}

	err = db.Update(func(tx *bolt.Tx) error {
		keys, err := tx.CreateBucket([]byte("key"))
		if err != nil {
			return err
		}

		for revision := 1; revision <= revisions; revision++ {
			k := make([]byte, 17)
			binary.BigEndian.PutUint64(k[:8], uint64(revision))
			k[8] = '_'

			if err := keys.Put(k, []byte("value")); err != nil {
				return err
			}
		}

		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}

		return meta.Put([]byte("consistent_index"), make([]byte, 8))
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	if withHash {
		sum := sha256.Sum256(data)
		data = append(data, sum[:]...)
	}

	return data
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()

	file := filepath.Join(t.TempDir(), "cloudkoffer-v3.etcd.snapshot")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	return file
}

func TestASnapshotFromEtcdReportsItsRevisionKeysAndHash(t *testing.T) {
	status, err := Read(writeFile(t, snapshot(t, 42, true)), false)
	if err != nil {
		t.Fatal(err)
	}

	if status.Revision != 42 || status.TotalKey != 43 || !status.SHA256 || status.Hash == 0 || status.TotalSize == 0 {
		t.Errorf("status %+v: want revision 42, 43 keys (42 revisions and the meta key), its SHA-256, a hash and a size", status)
	}

	again, err := Read(writeFile(t, snapshot(t, 42, true)), false)
	if err != nil {
		t.Fatal(err)
	}

	if again.Hash != status.Hash {
		t.Errorf("the same content hashed %d and %d", status.Hash, again.Hash)
	}
}

func TestATruncatedSnapshotIsRefused(t *testing.T) {
	data := snapshot(t, 5, true)
	truncated := data[:len(data)-512]

	_, err := Read(writeFile(t, truncated), false)
	if err == nil || !strings.Contains(err.Error(), "truncated or altered") {
		t.Errorf("error %v: want the SHA-256 mismatch", err)
	}
}

func TestAnAlteredSnapshotIsRefused(t *testing.T) {
	data := snapshot(t, 5, true)
	data[100] ^= 0xff

	if _, err := Read(writeFile(t, data), false); err == nil || !strings.Contains(err.Error(), "truncated or altered") {
		t.Errorf("error %v: want the SHA-256 mismatch", err)
	}
}

func TestARawDatabaseCopyNeedsTheHashCheckSkipped(t *testing.T) {
	file := writeFile(t, snapshot(t, 7, false))

	if _, err := Read(file, false); !errors.Is(err, ErrNoHash) {
		t.Errorf("error %v: want ErrNoHash", err)
	}

	status, err := Read(file, true)
	if err != nil {
		t.Fatal(err)
	}

	if status.Revision != 7 || status.SHA256 {
		t.Errorf("status %+v: want revision 7, without SHA-256", status)
	}
}

func TestAForeignFileIsNotAnEtcdSnapshot(t *testing.T) {
	foreign := make([]byte, 4096)
	copy(foreign, "apiVersion: v1\nkind: Config\n")
	sum := sha256.Sum256(foreign)

	_, err := Read(writeFile(t, append(foreign, sum[:]...)), false)
	if err == nil || !strings.Contains(err.Error(), "not an etcd snapshot") {
		t.Errorf("error %v: want not an etcd snapshot", err)
	}
}

func TestABoltDatabaseThatIsNotEtcdsIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "other.db")

	db, err := bolt.Open(file, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}

	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err }); err != nil {
		t.Fatal(err)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := Read(file, true); err == nil || !strings.Contains(err.Error(), "no key space revision") {
		t.Errorf("error %v: want no key space revision", err)
	}
}
