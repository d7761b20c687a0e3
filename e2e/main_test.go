package e2e

import (
	"testing"

	"notreasso/internal/testutil/testdb"
)

// Under NOTREASSO_TEST_DB=postgres the servers these tests start share one
// PostgreSQL cluster, stopped when they end.
func TestMain(m *testing.M) { testdb.Main(m) }
