package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// only is the one file a folder must hold afterwards: no temporary file is left behind.
func only(t *testing.T, dir string, names ...string) {
	t.Helper()

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	var found []string
	for _, entry := range entries {
		found = append(found, entry.Name())
	}

	if len(found) != len(names) {
		t.Fatalf("the folder holds %v, want %v", found, names)
	}

	for i := range names {
		if found[i] != names[i] {
			t.Fatalf("the folder holds %v, want %v", found, names)
		}
	}
}

func holds(t *testing.T, path string, want []byte) {
	t.Helper()

	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %q, want %q", path, got, want)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	if info.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, info.Mode().Perm())
	}
}

func TestWriteMakesAFileOfMode0600WithTheData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.yaml")

	// A umask that would leave the owner unable to write: the mode is set, not asked for.
	defer syscall.Umask(syscall.Umask(0o277))

	if err := Write(path, []byte("cluster: {id: abc}\n")); err != nil {
		t.Fatal(err)
	}

	holds(t, path, []byte("cluster: {id: abc}\n"))
	only(t, dir, "secrets.yaml")
}

func TestWriteReplacesAnExistingFileAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.yaml")

	if err := os.WriteFile(path, []byte("old secrets\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A reader that opened the old file goes on reading it whole: the new
	// file took its name, nothing was written into it.
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	if err := Write(path, []byte("new secrets\n")); err != nil {
		t.Fatal(err)
	}

	holds(t, path, []byte("new secrets\n"))
	only(t, dir, "secrets.yaml")

	if old, err := io.ReadAll(reader); err != nil || string(old) != "old secrets\n" {
		t.Fatalf("the old file, as its reader sees it: %q, %v", old, err)
	}
}

func TestAFailedWriteLeavesNoTemporaryFileAndNamesThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")

	// A folder is in the way: the rename into place fails.
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(path, "inside"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := Write(path, []byte("data")); err == nil {
		t.Fatal("Write replaced a folder")
	}

	only(t, dir, "taken")

	missing := filepath.Join(dir, "no-such-folder", "file")
	if err := Write(missing, []byte("data")); err == nil || err.Error() != "open "+missing+": no such file or directory" {
		t.Fatalf("Write into a missing folder: %v", err)
	}
}

func TestWriteNewWritesAFileThatDoesNotExistYet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.yaml")

	if err := WriteNew(path, []byte("secrets\n")); err != nil {
		t.Fatal(err)
	}

	holds(t, path, []byte("secrets\n"))
	only(t, dir, "secrets.yaml")
}

func TestWriteNewLeavesAnExistingFileAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.yaml")

	if err := os.WriteFile(path, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	err := WriteNew(path, []byte("secrets\n"))
	if !errors.Is(err, fs.ErrExist) || err.Error() != "open "+path+": file exists" {
		t.Fatalf("WriteNew over a file: %v, want what an exclusive create says", err)
	}

	holds(t, path, []byte("keep me\n"))
	only(t, dir, "secrets.yaml")
}
