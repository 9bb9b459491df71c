// Package etcdsnapshot checks an etcd v3 snapshot as etcd's own tools do:
// the SHA-256 etcd's Maintenance API appends to the bolt database (talosctl
// etcd snapshot), which etcdutl snapshot restore verifies, and etcdutl's
// snapshot status (hash, revision, keys, size). It lets the project check a
// backup after writing it and before restoring it, without etcdutl.
package etcdsnapshot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
)

// Status is what etcdutl snapshot status reports, and whether the snapshot
// carried its SHA-256 (a raw copy of the db file does not).
type Status struct {
	// Hash is the CRC-32C of every bucket name, key and value, as etcd computes it.
	Hash uint32 `json:"hash"`
	// Revision is the highest revision of the key space.
	Revision int64 `json:"revision"`
	// TotalKey counts the keys of every bucket.
	TotalKey int `json:"totalKey"`
	// TotalSize is the size of the database in bytes.
	TotalSize int64 `json:"totalSize"`
	// SHA256 says whether the snapshot carried its SHA-256, which matched.
	SHA256 bool `json:"sha256"`
}

// ErrNoHash is a snapshot without etcd's SHA-256: a raw copy of the db file,
// which only a restore that skips the hash check takes.
var ErrNoHash = errors.New("it does not end with the SHA-256 etcd appends to a snapshot (talosctl etcd snapshot): it is truncated, or a raw copy of the db file, which restores only with the hash check skipped")

// Read checks the snapshot in file and reads its status. Without
// skipHashCheck a snapshot must carry its SHA-256, and it must match.
func Read(file string, skipHashCheck bool) (Status, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Status{}, err
	}

	// etcd appends the hash to a db whose size is a multiple of 512 bytes.
	hasHash := len(data)%512 == sha256.Size
	db := data

	if hasHash {
		db = data[:len(data)-sha256.Size]

		sum := sha256.Sum256(db)
		if !bytes.Equal(sum[:], data[len(db):]) {
			return Status{}, fmt.Errorf("%s: its SHA-256 does not match its content: the snapshot is truncated or altered", file)
		}
	} else if !skipHashCheck {
		return Status{}, fmt.Errorf("%s: %w", file, ErrNoHash)
	}

	status, err := readDB(db)
	if err != nil {
		return Status{}, fmt.Errorf("%s: not an etcd snapshot: %w", file, err)
	}

	status.SHA256 = hasHash

	return status, nil
}

// readDB writes the database to a private file and reads its status with
// etcdutl's own code; a database without a key space revision is no etcd's.
func readDB(db []byte) (Status, error) {
	dir, err := os.MkdirTemp("", "etcd-snapshot-")
	if err != nil {
		return Status{}, err
	}
	defer os.RemoveAll(dir) //nolint:errcheck

	copied := filepath.Join(dir, "db")
	if err := os.WriteFile(copied, db, 0o600); err != nil {
		return Status{}, err
	}

	status, err := etcdutl.NewV3(zap.NewNop()).Status(copied)
	if err != nil {
		return Status{}, err
	}

	if status.Revision == 0 {
		return Status{}, errors.New("it has no key space revision")
	}

	return Status{Hash: status.Hash, Revision: status.Revision, TotalKey: status.TotalKey, TotalSize: status.TotalSize}, nil
}
