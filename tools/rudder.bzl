"""Build macros every layer uses: C++ libraries and tests, and .proto compilation.

Protos are compiled by a genrule calling Debian's /usr/bin/protoc and /usr/bin/grpc_cpp_plugin,
because Bazel's own proto rules would need a protobuf source checkout.
"""

RUDDER_COPTS = [
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
]

def rudder_cc_library(name, copts = [], **kwargs):
    """A cc_library with the project's warning flags."""
    native.cc_library(name = name, copts = RUDDER_COPTS + copts, **kwargs)

def rudder_cc_binary(name, copts = [], **kwargs):
    """A cc_binary with the project's warning flags."""
    native.cc_binary(name = name, copts = RUDDER_COPTS + copts, **kwargs)

def rudder_cc_test(name, deps = [], copts = [], main = True, **kwargs):
    """A GoogleTest test; links gtest_main unless main = False."""
    extra = ["@system//:gtest_main"] if main else ["@system//:gtest"]
    native.cc_test(name = name, copts = RUDDER_COPTS + copts, deps = deps + extra, **kwargs)

def rudder_cc_benchmark(name, deps = [], tags = [], copts = [], **kwargs):
    """A Google Benchmark binary, tagged `benchmark` (run with `bazel run -c opt`)."""
    native.cc_binary(
        name = name,
        copts = RUDDER_COPTS + copts,
        deps = deps + ["@system//:benchmark_main"],
        tags = tags + ["benchmark"],
        **kwargs
    )

def rudder_proto_library(name, srcs, deps = [], grpc = False, visibility = None, testonly = False):
    """Compiles .proto files to a cc_library named `name`.

    Imports are written from the workspace root ("lib/api/proto/meta/v1/meta.proto").
    `deps` are other rudder_proto_library targets; `grpc = True` also generates service stubs.
    """
    protos = name + "_protos"
    native.filegroup(
        name = protos,
        srcs = srcs + [d + "_protos" for d in deps],
        visibility = visibility,
        testonly = testonly,
    )
    bases = [s[:-len(".proto")] for s in srcs]
    outs = [b + ".pb.h" for b in bases] + [b + ".pb.cc" for b in bases]
    cmd = "protoc -I. --cpp_out=$(GENDIR) $(SRCS_OWN)"
    if grpc:
        outs += [b + ".grpc.pb.h" for b in bases] + [b + ".grpc.pb.cc" for b in bases]
        cmd += " && protoc -I. --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) $(SRCS_OWN)"
    own = " ".join(["$(location %s)" % s for s in srcs])
    native.genrule(
        name = name + "_gen",
        srcs = [":" + protos] + srcs,
        outs = outs,
        cmd = cmd.replace("$(SRCS_OWN)", own),
        message = "protoc " + name,
        testonly = testonly,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@system//:protobuf"] + (["@system//:grpc"] if grpc else []),
        copts = ["-Wno-unused-parameter"],
        visibility = visibility,
        testonly = testonly,
    )
