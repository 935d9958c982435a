#!/bin/sh
echo "coverage is not supported in the offline build (see third_party/bazel/README.md)" >&2
exit 1
