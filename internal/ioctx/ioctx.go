// Package ioctx makes long copies stop when their context ends.
package ioctx

import (
	"context"
	"io"
)

// Reader returns r, failing with ctx's error at the first Read after ctx
// ends: a copy of any size stops within one buffer of a cancellation.
func Reader(ctx context.Context, r io.Reader) io.Reader { return reader{ctx, r} }

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
