"""authd_cc_proto: C++ (and gRPC) code from .proto files with the system protoc and grpc_cpp_plugin.

Bazel 4.2.3 offline has no rules_proto, so a genrule runs Debian's `protoc` directly. Outputs land
beside the package under the proto import path, so C++ includes them as e.g. `authd/v1/types.pb.h`.
"""

def authd_cc_proto(name, srcs, import_root = "proto", extra_import_roots = [], proto_deps = [],
                   deps = [], grpc = False, visibility = None, out_prefix = ""):
    """Generates and compiles `srcs`.

    Args:
      name: the cc_library to create.
      srcs: .proto files, relative to this package.
      import_root: the `-I` root the import paths are relative to (as seen from the execroot).
      extra_import_roots: more `-I` roots, searched after `import_root` (protos whose imports
        live in other repositories, e.g. etcd's).
      proto_deps: other .proto files `srcs` import (made visible to protoc).
      deps: cc_library targets holding the generated code of `proto_deps`.
      grpc: also generate gRPC service stubs.
      out_prefix: path prepended to each output (for protos imported from another repository).
    """
    outs = []
    for src in srcs:
        path = src.split(":")[-1] if src.startswith("@") else src
        base = out_prefix + path[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]

    cmd = "protoc -I" + import_root + "".join([" -I" + r for r in extra_import_roots])
    cmd += " -I. --cpp_out=$(GENDIR)/" + native.package_name()
    if grpc:
        cmd += (" --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin)" +
                " --grpc_out=$(GENDIR)/" + native.package_name())
    cmd += " $(SRCS)"
    cmd = "set -e; " + cmd

    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps,
        outs = outs,
        cmd = cmd.replace("$(SRCS)", " ".join(["$(location " + s + ")" for s in srcs])),
        message = "protoc " + name,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["//third_party/bazel/system_libs:protobuf"] +
               (["//third_party/bazel/system_libs:grpc"] if grpc else []),
        visibility = visibility,
    )
