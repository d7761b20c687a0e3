package mail

import (
	"testing"

	"notreasso/internal/testutil/testdb"
)

// Under NOTREASSO_TEST_DB=postgres the fixture's database is PostgreSQL
// (make test-postgres); the cluster stops when the tests end.
func TestMain(m *testing.M) { testdb.Main(m) }
