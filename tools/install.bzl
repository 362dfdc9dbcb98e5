"""rudder_install_tree: lays out headers, one static library and rudder.pc for non-Bazel hosts.

The tree is:
  include/<workspace path of every header of the given libraries, generated .pb.h included>
  lib/librudder.a            every object of the given libraries and their Rudder deps
  lib/pkgconfig/rudder.pc    relocatable (paths relative to ${pcfiledir})
A host program then builds with `g++ -std=c++20 app.cc $(pkg-config --cflags --libs rudder)`.
"""

def _install_tree_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    headers = {}
    archives = {}
    for dep in ctx.attr.deps:
        cc = dep[CcInfo]
        for h in cc.compilation_context.headers.to_list():
            if h.short_path.startswith("../"):
                continue  # a header of another repository (system libraries)
            headers[h.short_path] = h
        for linker_input in cc.linking_context.linker_inputs.to_list():
            for lib in linker_input.libraries:
                a = lib.pic_static_library or lib.static_library
                if a and not a.short_path.startswith("../"):
                    archives[a.path] = a
    args = ctx.actions.args()
    args.add(out.path)
    args.add(ctx.attr.version)
    args.add(" ".join(ctx.attr.requires))
    args.add(" ".join(ctx.attr.extra_libs))
    args.add(len(headers))
    for path, f in sorted(headers.items()):
        args.add(f.path)
        args.add(path)
    for path in sorted(archives.keys()):
        args.add(path)
    ctx.actions.run(
        executable = ctx.executable._script,
        arguments = [args],
        inputs = list(headers.values()) + list(archives.values()),
        outputs = [out],
        mnemonic = "RudderInstallTree",
        progress_message = "Laying out the install tree %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

rudder_install_tree = rule(
    implementation = _install_tree_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "version": attr.string(default = "0.1.0"),
        "requires": attr.string_list(doc = "pkg-config modules the libraries need"),
        "extra_libs": attr.string_list(doc = "linker flags with no pkg-config module"),
        "_script": attr.label(
            default = "//tools:make_install_tree.sh",
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
    },
)
