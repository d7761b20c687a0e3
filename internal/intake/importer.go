package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"notreasso/internal/metrics"
	"notreasso/internal/repo"
)

// Problem is why a message or one of its files was not imported, as the
// administration page shows it (Code is translated there).
type Problem struct {
	Code   string `json:"code"` // too_large, bad_name, unreadable, connect
	Name   string `json:"name,omitempty"`
	Limit  int64  `json:"limit,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// String is the stored form of the problem (intake_errors.reason).
func (p Problem) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// ParseProblem reads a stored reason; a reason that is not one (older, or
// a plain error) becomes a Problem with only Detail.
func ParseProblem(s string) Problem {
	var p Problem
	if json.Unmarshal([]byte(s), &p) != nil || p.Code == "" {
		return Problem{Detail: s}
	}
	return p
}

// outcome is what became of one message.
type outcome struct {
	files    int
	problems []Problem
}

// spooledMessage is a message fetched into a temporary file.
type spooledMessage struct {
	f    *os.File
	size int64
	hash string
}

func (m *spooledMessage) rewind() (io.Reader, error) {
	if _, err := m.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind the message: %w", err)
	}
	return m.f, nil
}

// spoolMessage copies a message into a temporary file in dir, hashing it.
func spoolMessage(dir string, r io.Reader) (*spooledMessage, error) {
	f, err := os.CreateTemp(dir, "mail-*.eml")
	if err != nil {
		return nil, fmt.Errorf("spool the message: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("receive the message after %d bytes: %w", n, err)
	}
	return &spooledMessage{f: f, size: n, hash: hex.EncodeToString(h.Sum(nil))}, nil
}

func (m *spooledMessage) close() {
	m.f.Close()
	os.Remove(m.f.Name())
}

// errPart marks an error from storing a file (the repository), as opposed
// to one from reading the message: the first is retried later, the second
// would fail the same way every time.
type errPart struct{ err error }

func (e errPart) Error() string { return e.err.Error() }
func (e errPart) Unwrap() error { return e.err }

// importMessage stores what the decision keeps of a message. Each file is
// created with its part key in the same transaction (repo.IntakeFile), so a
// message taken up again after a crash skips exactly the files that exist.
// An error means try again later (nothing about the message is recorded).
func (in *Intake) importMessage(ctx context.Context, d decision, h Header, key string, m *spooledMessage) (outcome, error) {
	var out outcome
	p := repo.IntakePrincipal(senderLabel(h))
	rule := d.rule
	if err := in.repo.Intake.Folder(ctx, p, rule.Folder, d.quarantine); err != nil {
		return out, err
	}
	tags := rule.Tags
	if d.quarantine {
		tags = nil
	}
	store := func(partKey, name string, r io.Reader, size int64) error {
		done, err := in.repo.Intake.PartDone(ctx, p, partKey)
		if err != nil {
			return errPart{err}
		}
		if done {
			out.files++
			return nil
		}
		_, err = in.repo.Intake.File(ctx, p, rule.Folder, name, r, repo.IntakeFileOptions{PartKey: partKey, Tags: tags, ModTime: h.Date, Size: size})
		switch {
		case err == nil, errors.Is(err, repo.ErrAlreadyImported):
			out.files++
			metrics.IntakeFiles.Inc()
			if err := in.crash("file"); err != nil {
				return errPart{err}
			}
		case errors.Is(err, repo.ErrTooLarge):
			out.problems = append(out.problems, Problem{Code: "too_large", Name: name, Limit: in.repo.Intake.UploadLimit()})
			metrics.IntakeRefusedFiles.Inc()
		case errors.Is(err, repo.ErrIncomplete) && ctx.Err() == nil:
			// Read from a local file: the part itself is broken (bad base64…).
			out.problems = append(out.problems, Problem{Code: "unreadable", Name: name, Detail: err.Error()})
			metrics.IntakeRefusedFiles.Inc()
		case errors.Is(err, repo.ErrInvalidName):
			out.problems = append(out.problems, Problem{Code: "bad_name", Name: name, Detail: err.Error()})
			metrics.IntakeRefusedFiles.Inc()
		default:
			return errPart{err}
		}
		return nil
	}
	attachments := 0
	if rule.KeepAttachments {
		r, err := m.rewind()
		if err != nil {
			return out, err
		}
		err = walkAttachments(r, func(a Attachment) error {
			attachments++
			return store(key+"#"+strconv.Itoa(a.Index), attachmentName(a), a.Body, -1)
		})
		var pe errPart
		switch {
		case errors.As(err, &pe):
			return out, pe.err
		case err != nil:
			// The rest of the message cannot be read: keep it whole below.
			out.problems = append(out.problems, Problem{Code: "unreadable", Detail: err.Error()})
			attachments = 0
		}
	}
	if rule.KeepMail || attachments == 0 {
		r, err := m.rewind()
		if err != nil {
			return out, err
		}
		if err := store(key+"#eml", mailName(h), r, m.size); err != nil {
			return out, errors.Unwrap(err)
		}
	}
	return out, nil
}

// senderLabel is the sender as « reçu par e-mail de … » shows it.
func senderLabel(h Header) string {
	if h.FromName != "" && h.FromName != h.From {
		return h.FromName + " <" + h.From + ">"
	}
	return h.From
}

func (in *Intake) crash(stage string) error {
	if in.opts.crashAt == nil {
		return nil
	}
	return in.opts.crashAt(stage)
}
