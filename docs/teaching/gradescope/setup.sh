#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image. The
# autograder zip holds this file, run_autograder and forklore/, a copy of
# your grader (docs/teaching.md, "Gradescope").
set -euo pipefail
GO_VERSION=$(sed -n 's/^go \([0-9.]*\).*/\1/p' /autograder/source/forklore/go.mod)
curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" | tar -C /usr/local -xz
export PATH=/usr/local/go/bin:$PATH
cd /autograder/source/forklore
go mod download
# Build the grader and warm the build cache once, not per submission.
go build -o /usr/local/bin/grade ./cmd/grade
go build ./mp/... ./exercises/...
