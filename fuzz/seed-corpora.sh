#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>/, not committed) from fixtures/.
#
# usage: fuzz/seed-corpora.sh      (idempotent: seeds are named by their content's hash)
#   yaml_loader, check_document  every Task file under fixtures/ (task.yaml, *.yaml inputs)
#   profile_templates            every fixture profile, NUL, its Task, NUL, its --set values
#   output_tree                  every .taskrender-manifest under fixtures/
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus
mkdir -p "$corpus"/{yaml_loader,check_document,profile_templates,output_tree}

put() { # TARGET < data
  local tmp; tmp="$(mktemp)"
  cat > "$tmp"
  mv "$tmp" "$corpus/$1/$(sha1sum "$tmp" | cut -c1-16)"
}

n=0
while IFS= read -r -d '' f; do
  put yaml_loader < "$f"
  put check_document < "$f"
  n=$((n + 1))
done < <(find fixtures -path '*/expected' -prune -o -type f \( -name '*.yaml' -o -name '*.yml' \) \
  -not -path '*/profiles/*' -size -64k -print0)

p=0
while IFS= read -r -d '' prof; do
  dir="$(dirname "$(dirname "$prof")")"
  {
    cat "$prof"
    printf '\0'
    # the target writes the profile as fz.yaml: the Task names it so
    [ -f "$dir/task.yaml" ] && sed 's/^\(\s*profile:\s*\).*/\1fz/' "$dir/task.yaml"
    if [ -f "$dir/args" ]; then
      # --set VALUE lines of the fixture's args file (one argument per line)
      awk 'prev == "--set" { printf "\0%s", $0 } { prev = $0 }' "$dir/args"
    fi
  } | put profile_templates
  p=$((p + 1))
done < <(find fixtures -path '*/profiles/*.yaml' -not -path '*/expected/*' -print0)
for prof in profiles/*.yaml; do
  printf '%s\0\0gpus=2' "$(cat "$prof")" | put profile_templates
done

m=0
while IFS= read -r -d '' f; do
  put output_tree < "$f"
  m=$((m + 1))
done < <(find fixtures -name .taskrender-manifest -print0)
printf '# a link\nL fz\nfz/Deployment.yaml\n' | put output_tree
printf 'sub/dir/\nsub/dir/file.yaml\nunlisted.txt\n' | put output_tree

echo "seeded: $n Task files (yaml_loader, check_document), $p profiles (profile_templates), $m manifests (output_tree)"
