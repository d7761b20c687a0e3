package e2e

import (
	"testing"

	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/testdb"
)

// Under NOTREASSO_TEST_DB=postgres the servers these tests start share one
// PostgreSQL cluster, stopped when they end; the binaries built for them
// are removed then too.
func TestMain(m *testing.M) { testdb.Main(m, server.RemoveBinaries) }
