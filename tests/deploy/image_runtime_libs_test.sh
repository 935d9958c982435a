#!/usr/bin/env bash
# Keeps the package lists of deploy/docker/Dockerfile honest: every shared library that `ldd`
# resolves for the built authd and authctl is mapped to its Debian package (`dpkg -S`), and the
# runtime stage's `apt-get install` must name each of those packages, and nothing else. The build
# stage must bring in (through the Depends of its packages) every library the binaries link
# directly (`readelf -d`), which is what its link step needs. This machine runs Debian 12
# (bookworm), the image's base, so the package names are the image's.
# Usage (Bazel passes the binaries): image_runtime_libs_test.sh BINARY...
set -uo pipefail
HERE="$TEST_SRCDIR/authd/tests/deploy"
source "$HERE/case_lib.sh"
DOCKERFILE="$TEST_SRCDIR/authd/deploy/docker/Dockerfile"
need_tool ldd "$(command -v ldd || true)"
need_tool dpkg "$(command -v dpkg || true)"
need_tool readelf "$(command -v readelf || true)"
[ "$#" -ge 1 ] || { echo "FAIL: no binaries given"; exit 1; }
grep -q '^VERSION_CODENAME=bookworm' /etc/os-release || {
  echo "FAIL: this check maps libraries to bookworm's package names; this machine is not bookworm"
  exit 1
}
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/libs.XXXXXX")

# needed.tsv: package <TAB> library <TAB> binary, for every library every binary loads. One
# `dpkg -S` call for all candidate paths (it is slow per call): usrmerge means /lib/x.so may be
# registered as /usr/lib/x.so, and the file may be a symlink to a versioned name.
needed="$work/needed.tsv"
: >"$needed"
libs="$work/libs.tsv"   # library <TAB> binary
: >"$libs"
ldd_of() {
  local bin=$1 out
  out=$(ldd "$bin") || { echo "ldd failed on $bin: $out"; return 1; }
  if grep -q 'not found' <<<"$out"; then echo "unresolved libraries for $bin:"; grep 'not found' <<<"$out"; return 1; fi
  grep -oE '/[^ ]+\.so[^ ]*' <<<"$out" | sort -u | sed "s|\$|\t$(basename "$bin")|" >>"$libs"
  [ -s "$libs" ] || { echo "ldd found no libraries for $bin"; return 1; }
}
for bin in "$@"; do
  run_case "ldd resolves every library: $(basename "$bin")" ldd_of "$bin"
done
map_packages() {  # fills $needed from $libs; few processes (forks are slow on a busy machine)
  cut -f1 "$libs" | sort -u >"$work/libs.u"
  paste "$work/libs.u" <(xargs readlink -f <"$work/libs.u") >"$work/real.tsv"
  { cat "$work/libs.u"; sed 's|^|/usr|' "$work/libs.u"; cut -f2 "$work/real.tsv"; } | sort -u \
    | xargs dpkg -S >"$work/dpkg.out" 2>/dev/null
  # dpkg -S lines: "pkg[:arch][, pkg2[:arch]]: /path".
  awk -F'\t' '
    FILENAME ~ /dpkg.out$/ {
      i = index($0, ": "); path = substr($0, i + 2); pkg = substr($0, 1, i - 1)
      sub(/,.*/, "", pkg); sub(/:[a-z0-9]+$/, "", pkg); owner[path] = pkg; next
    }
    FILENAME ~ /real.tsv$/ { real[$1] = $2; next }
    {
      lib = $1; pkg = owner[lib]
      if (pkg == "") pkg = owner["/usr" lib]
      if (pkg == "") pkg = owner[real[lib]]
      if (pkg == "") { print "no Debian package owns " lib " (needed by " $2 ")" > "/dev/stderr"; bad = 1; next }
      print pkg "\t" lib "\t" $2
    }
    END { exit bad }' "$work/dpkg.out" "$work/real.tsv" "$libs" >"$needed"
}
run_case "dpkg -S maps every library to a package" map_packages

# The packages a stage installs: the words after `apt-get install` up to the next `&&`, without
# options. STAGE is "first" (build) or "last" (runtime).
stage_packages() {  # stage_packages DOCKERFILE first|last
  awk '/^[[:space:]]*#/ {next} { if (sub(/\\[[:space:]]*$/, "")) { buf = buf $0 " "; next } print buf $0; buf = "" }' "$1" \
    | awk -v which="$2" 'toupper($1) == "FROM" {n++} which == "first" && n == 1 {print} which == "last" {if (toupper($1) == "FROM") s = ""; s = s "\n" $0} END {if (which == "last") print s}' \
    | tr '\n' ' ' | grep -oE 'apt-get install [^&]*' | tr ' ' '\n' \
    | grep -vE '^(apt-get|install|-.*|)$' | sort -u
}
runtime_packages() { stage_packages "$1" last; }

check() {  # check DOCKERFILE: every needed package installed, every installed package needed
  local installed missing extra
  installed=$(runtime_packages "$1")
  [ -n "$installed" ] || { echo "the runtime stage of $1 installs no packages"; return 1; }
  missing=$(cut -f1 "$needed" | sort -u | comm -23 - <(echo "$installed"))
  extra=$(comm -13 <(cut -f1 "$needed" | sort -u) <(echo "$installed"))
  for p in $missing; do
    echo "MISSING: the runtime stage does not install $p, which provides" \
         "$(awk -F'\t' -v p="$p" '$1 == p {print $2 " (for " $3 ")"}' "$needed" | sort -u | tr '\n' ' ')"
  done
  for p in $extra; do
    echo "UNNEEDED: the runtime stage installs $p, but neither binary loads a library from it"
  done
  [ -z "$missing" ] && [ -z "$extra" ]
}
run_case "runtime stage installs exactly the packages ldd needs" check "$DOCKERFILE"

# The check itself: a Dockerfile without librocksdb7.8 must fail, naming the package and library.
sed 's/ librocksdb7\.8 / /' "$DOCKERFILE" >"$work/Dockerfile.missing"
rocksdb_lib=$(awk -F'\t' '$1 == "librocksdb7.8" {print $2; exit}' "$needed")
expect_fail "check fails clearly when a runtime package is missing" \
  "MISSING: the runtime stage does not install librocksdb7.8, which provides ${rocksdb_lib:-librocksdb} (for authd)" \
  check "$work/Dockerfile.missing"
sed 's/ zlib1g / zlib1g curl /' "$DOCKERFILE" >"$work/Dockerfile.extra"
expect_fail "check fails when the runtime stage installs a package nothing needs" \
  "UNNEEDED: the runtime stage installs curl" check "$work/Dockerfile.extra"

# The build stage: the libraries each binary links directly, and the packages that own them.
direct="$work/direct.txt"
: >"$direct"
direct_packages() {  # fills $direct: package <TAB> soname, for each library linked directly
  local bin
  for bin in "$@"; do
    readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' \
      | awk -F'\t' -v b="$(basename "$bin")" '
          NR == FNR { if ($3 == b) { n = split($2, parts, "/"); pkg[parts[n]] = $1 }; next }
          { if (!($0 in pkg)) { print b " links " $0 ", which ldd did not resolve"; bad = 1; next }
            print pkg[$0] "\t" $0 >> out }
          END { exit bad }' out="$direct" "$needed" - || return 1
  done
}
run_case "readelf: direct libraries of the binaries" direct_packages "$@"

# Every installed package's dependencies, once (dpkg-query per package is slow).
dpkg-query -W -f='${Package}\t${Depends}, ${Pre-Depends}\n' >"$work/depends.tsv"
check_build() {  # check_build DOCKERFILE: the build stage's Depends closure has each direct package
  local build missing=""
  build=$(stage_packages "$1" first)
  [ -n "$build" ] || { echo "the build stage of $1 installs no packages"; return 1; }
  for p in $build; do
    awk -F'\t' -v p="$p" '$1 == p {found = 1} END {exit !found}' "$work/depends.tsv" || {
      echo "build package $p is not installed here (tools/install_deps.sh installs the same set)"; return 1; }
  done
  # Breadth-first over Depends and Pre-Depends (alternatives included), bounded by the installed set.
  awk -F'\t' -v start="$(tr '\n' ' ' <<<"$build")" '
    { deps[$1] = $2 }
    END {
      n = split(start, queue, " "); head = 1
      for (i = 1; i <= n; i++) seen[queue[i]] = 1
      while (head <= n) {
        p = queue[head++]
        m = split(deps[p], d, /[,|]/)
        for (j = 1; j <= m; j++) {
          q = d[j]; sub(/^ +/, "", q); sub(/[ (].*/, "", q); sub(/:any$/, "", q)
          if (q != "" && !(q in seen) && (q in deps)) { seen[q] = 1; queue[++n] = q }
        }
      }
      for (p in seen) print p
    }' "$work/depends.tsv" | sort -u >"$work/closure.txt"
  while IFS=$'\t' read -r pkg soname; do
    if ! grep -qxF -- "$pkg" "$work/closure.txt"; then
      missing="$missing $pkg"
      echo "MISSING: the build stage brings in no package depending on $pkg ($soname, linked directly)"
    fi
  done < <(sort -u "$direct")
  [ -z "$missing" ]
}
run_case "build stage brings in every library the binaries link" check_build "$DOCKERFILE"
sed 's/ librocksdb-dev / /' "$DOCKERFILE" >"$work/Dockerfile.nodev"
expect_fail "build check fails clearly when a -dev package is missing" \
  "MISSING: the build stage brings in no package depending on librocksdb7.8 (librocksdb.so.7.8, linked directly)" \
  check_build "$work/Dockerfile.nodev"

finish
