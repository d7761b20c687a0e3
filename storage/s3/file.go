package s3

import (
	"io"
	"os"
)

// wholeFile reports whether r is a regular file, read from its start, of
// exactly size bytes: then its content can be read at any offset.
func wholeFile(r io.Reader, size int64) (io.ReaderAt, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() != size {
		return nil, false
	}
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 0 {
		return nil, false
	}
	return f, true
}
