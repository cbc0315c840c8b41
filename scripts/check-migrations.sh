#!/usr/bin/env bash
# The two migration trees must have the same migration names, each with up.sql and down.sql.
# (Applying, reverting and re-applying them is covered by the grant-core suite on both backends.)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
a="$(cd "$ROOT/migrations/sqlite" && ls -1)"
b="$(cd "$ROOT/migrations/postgres" && ls -1)"
if [ "$a" != "$b" ]; then
  echo "migration trees differ:" >&2
  diff <(echo "$a") <(echo "$b") >&2 || true
  exit 1
fi
for tree in sqlite postgres; do
  for m in $a; do
    for f in up.sql down.sql; do
      [ -s "$ROOT/migrations/$tree/$m/$f" ] || { echo "missing migrations/$tree/$m/$f" >&2; exit 1; }
    done
  done
done
echo "migrations: $(echo "$a" | wc -l) in each tree, names match"
