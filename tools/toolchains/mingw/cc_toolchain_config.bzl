"""C++ toolchain for Windows x64 with the mingw-w64 `-posix` cross compilers from Debian."""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "artifact_name_pattern",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_COMPILE_ACTIONS = [
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
]

_CXX_ACTIONS = [
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
]

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _impl(ctx):
    prefix = "/usr/bin/x86_64-w64-mingw32-"
    tool_paths = [
        tool_path(name = "gcc", path = prefix + "gcc-posix"),
        tool_path(name = "g++", path = prefix + "g++-posix"),
        tool_path(name = "cpp", path = prefix + "cpp-posix"),
        tool_path(name = "ld", path = prefix + "ld"),
        tool_path(name = "ar", path = prefix + "ar"),
        tool_path(name = "nm", path = prefix + "nm"),
        tool_path(name = "objdump", path = prefix + "objdump"),
        tool_path(name = "strip", path = prefix + "strip"),
        tool_path(name = "gcov", path = "/bin/false"),
    ]
    default_flags = feature(
        name = "default_flags",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = [
                    # Without these two, Bazel's header-inclusion check rejects external repos.
                    "-no-canonical-prefixes",
                    "-fno-canonical-system-headers",
                    "-D_WIN32_WINNT=0x0A00",
                    "-DWIN32_LEAN_AND_MEAN",
                    "-DNOMINMAX",
                ])],
            ),
            flag_set(
                actions = _CXX_ACTIONS,
                flag_groups = [flag_group(flags = ["-std=c++20"])],
            ),
            flag_set(
                actions = _LINK_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "-static",
                    "-lstdc++",
                    "-lws2_32",
                    "-lntdll",
                    "-lmswsock",
                    "-ldbghelp",
                    "-lbcrypt",  # abseil's random seed material
                    "-lpsapi",  # process memory counters (stress)
                ])],
            ),
        ],
    )
    opt = feature(
        name = "opt",
        flag_sets = [flag_set(
            actions = _COMPILE_ACTIONS,
            flag_groups = [flag_group(flags = ["-O2", "-DNDEBUG"])],
        )],
    )
    dbg = feature(
        name = "dbg",
        flag_sets = [flag_set(
            actions = _COMPILE_ACTIONS,
            flag_groups = [flag_group(flags = ["-g"])],
        )],
    )
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = [default_flags, opt, dbg],
        cxx_builtin_include_directories = [
            "/usr/lib/gcc/x86_64-w64-mingw32",
            "/usr/x86_64-w64-mingw32/include",
            "/usr/share/mingw-w64/include",
        ],
        toolchain_identifier = "mingw-w64-x86_64-posix",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "x86_64-w64-mingw32",
        target_cpu = "x64_windows",
        target_libc = "msvcrt",
        compiler = "mingw-gcc",
        abi_version = "local",
        abi_libc_version = "local",
        tool_paths = tool_paths,
        artifact_name_patterns = [
            artifact_name_pattern(
                category_name = "executable",
                prefix = "",
                extension = ".exe",
            ),
        ],
    )

mingw_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
