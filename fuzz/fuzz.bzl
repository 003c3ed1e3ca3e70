"""tofu_fuzzer(): a libFuzzer target plus a test that replays its corpus."""

def tofu_fuzzer(name, srcs, corpus, deps = [], target_compatible_with = []):
    """Defines a fuzz target and the test that replays its seed corpus.

    Targets:
      <name>_target       cc_library with the sources (LLVMFuzzerTestOneInput).
      <name>              the libFuzzer binary. Only under --config=fuzz
                          (clang, -fsanitize=fuzzer); every other
                          configuration skips it as incompatible.
      <name>_replay_test  cc_test: runs every corpus file through the same
                          LLVMFuzzerTestOneInput with replay_main.cc; fails on
                          any crash or violated invariant, or if the corpus is
                          empty. Built in every configuration the sources
                          support (gcc, asan, tsan, windows under Wine).

    Args:
      name: the fuzz target's name; its corpus lives in fuzz/corpus/<name>/.
      srcs: sources defining LLVMFuzzerTestOneInput (and no main).
      corpus: the seed files (usually glob(["corpus/<name>/*"])); not empty.
      deps: what the sources use.
      target_compatible_with: constraints for all three targets (e.g.
        Linux-only code under test).
    """
    if not corpus:
        fail("tofu_fuzzer %s: empty corpus; add seeds to fuzz/corpus/%s/" %
             (name, name))
    target = name + "_target"
    native.cc_library(
        name = target,
        srcs = srcs,
        deps = deps + ["//fuzz:fuzz_support"],
        # Nothing references LLVMFuzzerTestOneInput but the driver's main.
        alwayslink = True,
        target_compatible_with = target_compatible_with,
    )
    native.cc_binary(
        name = name,
        deps = [":" + target],
        linkopts = ["-fsanitize=fuzzer"],
        target_compatible_with = target_compatible_with + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": ["//fuzz:requires_config_fuzz"],
        }),
        tags = ["fuzzer"],
    )
    native.filegroup(
        name = name + "_corpus",
        srcs = corpus,
    )
    native.cc_test(
        name = name + "_replay_test",
        size = "small",
        args = ["$(rootpaths :%s_corpus)" % name],
        data = [":" + name + "_corpus"],
        deps = [
            ":" + target,
            "//fuzz:replay_main",
        ],
        target_compatible_with = target_compatible_with,
    )
