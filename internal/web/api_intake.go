package web

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// IntakeWaker is the mail intake as the web sees it: told when an account
// changed or an administrator asks to read a mailbox now.
type IntakeWaker interface {
	Wake(account int64)
}

// The mail intake's API (administrators): accounts with their rules and
// status, the messages handled and the errors met.
func (s *Server) intakeAPIRoutes(adm fiber.Router) {
	adm.Get("/intake", s.apiIntakeAccounts)
	adm.Post("/intake", s.apiSaveIntake)
	adm.Get("/intake/:id", s.apiIntakeAccount)
	adm.Put("/intake/:id", s.apiSaveIntake)
	adm.Delete("/intake/:id", s.apiDeleteIntake)
	adm.Post("/intake/:id/poll", s.apiPollIntake)
}

func (s *Server) wakeIntake(id int64) {
	if s.intake != nil {
		s.intake.Wake(id)
	}
}

func intakeID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("mail account %q: %w", c.Params("id"), repo.ErrNotFound)
	}
	return id, nil
}

func (s *Server) apiIntakeAccounts(c *fiber.Ctx) error {
	list, err := s.repo.Intake.Accounts(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	if list == nil {
		list = []repo.IntakeAccount{}
	}
	return c.JSON(fiber.Map{"accounts": list})
}

// intakeDetail is an account with what it did lately.
type intakeDetail struct {
	repo.IntakeAccount
	Messages []repo.IntakeMessage `json:"messages"`
	Errors   []repo.IntakeError   `json:"errors"`
}

func (s *Server) intakeDetail(c *fiber.Ctx, id int64) (intakeDetail, error) {
	ctx, p := c.UserContext(), principal(c)
	a, err := s.repo.Intake.Account(ctx, p, id)
	if err != nil {
		return intakeDetail{}, err
	}
	d := intakeDetail{IntakeAccount: a}
	if d.Messages, err = s.repo.Intake.Messages(ctx, p, id, 50); err != nil {
		return d, err
	}
	if d.Errors, err = s.repo.Intake.Errors(ctx, p, id, 50); err != nil {
		return d, err
	}
	if d.Messages == nil {
		d.Messages = []repo.IntakeMessage{}
	}
	if d.Errors == nil {
		d.Errors = []repo.IntakeError{}
	}
	return d, nil
}

func (s *Server) apiIntakeAccount(c *fiber.Ctx) error {
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	d, err := s.intakeDetail(c, id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// apiSaveIntake creates (POST) or replaces (PUT) an account. A PUT
// without a password keeps the one saved.
func (s *Server) apiSaveIntake(c *fiber.Ctx) error {
	var a repo.IntakeAccount
	if err := c.BodyParser(&a); err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	a.ID = 0
	status := fiber.StatusCreated
	if c.Method() == fiber.MethodPut {
		id, err := intakeID(c)
		if err != nil {
			return err
		}
		a.ID, status = id, fiber.StatusOK
	}
	saved, err := s.repo.Intake.SaveAccount(c.UserContext(), principal(c), a)
	if err != nil {
		return err
	}
	s.wakeIntake(saved.ID)
	return c.Status(status).JSON(saved)
}

func (s *Server) apiDeleteIntake(c *fiber.Ctx) error {
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	if err := s.repo.Intake.DeleteAccount(c.UserContext(), principal(c), id); err != nil {
		return err
	}
	s.wakeIntake(id)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiPollIntake(c *fiber.Ctx) error {
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	if _, err := s.repo.Intake.Account(c.UserContext(), principal(c), id); err != nil {
		return err
	}
	s.wakeIntake(id)
	return c.SendStatus(fiber.StatusAccepted)
}
