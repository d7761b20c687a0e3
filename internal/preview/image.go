package preview

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	// Decoders of the image formats thumbnails are made of.
	_ "image/gif"

	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// imageThumb scales the image at in to fit size×size and writes it to out:
// JPEG when the image is opaque, PNG when it has transparency. The
// dimensions are read from the header first: an image larger than
// maxPixels (a decompression bomb: tiny file, huge canvas) is never
// decoded.
func imageThumb(in, out string, size int, maxPixels int64) (Result, error) {
	f, err := os.Open(in)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return Result{}, none("not an image this server can read: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return Result{}, none("image too large to preview: %d×%d pixels (limit %d)", cfg.Width, cfg.Height, maxPixels)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Result{}, err
	}
	src, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return Result{}, none("damaged %s image: %v", format, err)
	}
	o := 1
	if format == "jpeg" {
		o = jpegOrientation(in)
	}
	return writeThumbOriented(src, out, size, o)
}

// writeThumbOriented scales src to fit size×size (never up), turns it
// upright (EXIF orientation o, applied to the small image) and encodes it.
func writeThumbOriented(src image.Image, out string, size, o int) (Result, error) {
	b := src.Bounds()
	w, h := fit(b.Dx(), b.Dy(), size)
	scaled := image.NewRGBA(image.Rect(0, 0, w, h))
	// BiLinear widens its kernel when shrinking: no aliasing, and much
	// cheaper than CatmullRom on a large photo.
	draw.BiLinear.Scale(scaled, scaled.Bounds(), src, b, draw.Src, nil)
	dst := orient(scaled, o)
	w, h = dst.Bounds().Dx(), dst.Bounds().Dy()
	f, err := os.Create(out)
	if err != nil {
		return Result{}, err
	}
	bw := bufio.NewWriter(f)
	res := Result{Width: w, Height: h, Mime: "image/jpeg"}
	if opaque(src) {
		err = jpeg.Encode(bw, dst, &jpeg.Options{Quality: 82})
	} else {
		res.Mime = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(bw, dst)
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{}, fmt.Errorf("write thumbnail: %w", err)
	}
	return res, nil
}

// fit scales w×h to fit in a box×box square, keeping the ratio.
func fit(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, (h*box+w/2)/w)
	}
	return max(1, (w*box+h/2)/h), box
}

func opaque(m image.Image) bool {
	if o, ok := m.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
