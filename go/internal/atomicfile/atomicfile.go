// Package atomicfile writes files that hold secrets: mode 0600, and
// atomically, so that a reader (or a crash) never meets a partial file. The
// data go to a temporary file in the same folder (mode 0600), which is synced,
// then renamed into place, and the folder is synced.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Mode is the mode of every file written here: the owner's only.
const Mode fs.FileMode = 0o600

// Write writes data to path, replacing a file there. The folder must exist.
func Write(path string, data []byte) error {
	return write(path, data, os.Rename)
}

// WriteNew writes data to path, which must not exist: a file there is left
// as it is, and the error is the one an exclusive create gives,
// "open <path>: file exists".
func WriteNew(path string, data []byte) error {
	return write(path, data, linkNew)
}

// write writes data to a temporary file beside path and puts it in place.
// Errors name path, not the temporary file, which is never left behind.
func write(path string, data []byte, place func(temporary, path string) error) error {
	dir := filepath.Dir(path)

	temporary, err := os.CreateTemp(dir, filepath.Base(path)+".*")
	if err != nil {
		return naming(path, err)
	}

	defer os.Remove(temporary.Name()) //nolint:errcheck // gone already once in place

	if err := fill(temporary, data); err != nil {
		temporary.Close() //nolint:errcheck

		return naming(path, err)
	}

	if err := temporary.Close(); err != nil {
		return naming(path, err)
	}

	if err := place(temporary.Name(), path); err != nil {
		return err
	}

	folder, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer folder.Close() //nolint:errcheck

	return folder.Sync()
}

// fill gives the temporary file its mode (whatever the umask) and the data, on disk.
func fill(file *os.File, data []byte) error {
	if err := file.Chmod(Mode); err != nil {
		return err
	}

	if _, err := file.Write(data); err != nil {
		return err
	}

	return file.Sync()
}

// linkNew puts the temporary file at path only if nothing is there: a hard
// link fails on an existing name, atomically. Where the file system has no
// hard links, it renames after looking (the one case not atomic against a
// file appearing meanwhile).
func linkNew(temporary, path string) error {
	err := os.Link(temporary, path)
	if err == nil {
		return nil
	}

	var linkErr *os.LinkError
	if !errors.As(err, &linkErr) {
		return err
	}

	if errors.Is(linkErr.Err, fs.ErrExist) {
		return &fs.PathError{Op: "open", Path: path, Err: linkErr.Err}
	}

	if _, statErr := os.Lstat(path); statErr == nil {
		return &fs.PathError{Op: "open", Path: path, Err: syscall.EEXIST}
	}

	return os.Rename(temporary, path)
}

// naming makes an error about the temporary file name path instead.
func naming(path string, err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return &fs.PathError{Op: pathErr.Op, Path: path, Err: pathErr.Err}
	}

	return err
}
