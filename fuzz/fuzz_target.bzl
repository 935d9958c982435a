"""authd_fuzz_target: one libFuzzer target and its corpus replay test.

For `name` it declares:
  :<name>_fuzz            cc_library holding `LLVMFuzzerTestOneInput` (alwayslink, so the fuzzer
                          runtime's main finds it);
  :<name>_fuzzer          the libFuzzer binary; tagged manual, so `bazel build //...` (gcc) skips
                          it; tools/fuzz.sh builds it with --config=fuzz (clang-14);
  :<name>_corpus_test     a gcc cc_test that replays every file of corpus/<name>/ (and every prefix
                          of each) through the entry point: the target's regression test, in
                          `bazel test //...` and under --config=asan.
"""

def authd_fuzz_target(name, srcs, deps):
    native.cc_library(
        name = name + "_fuzz",
        srcs = srcs,
        deps = deps + [":fuzz_check"],
        alwayslink = True,
    )
    native.cc_binary(
        name = name + "_fuzzer",
        deps = [":" + name + "_fuzz"],
        tags = ["manual"],
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        args = ["fuzz/corpus/" + name],
        data = native.glob(["corpus/" + name + "/*"]),
        deps = [
            ":" + name + "_fuzz",
            ":corpus_replay",
        ],
    )
