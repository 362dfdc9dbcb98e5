"""A repository rule that turns `pkg-config` output into cc_library targets.

Each entry of `libraries` maps a target name to the pkg-config modules it stands for (or to
literal `-l` flags for libraries that ship no .pc file). The generated target carries the
modules' -D flags as `defines` and their -I directories as `includes`, so both reach every
dependent, and their --libs as `linkopts`. Nobody in the tree writes linker flags by hand.
"""

def _run(ctx, args):
    res = ctx.execute(["pkg-config"] + args)
    if res.return_code != 0:
        fail("pkg-config %s failed: %s" % (" ".join(args), res.stderr))
    return [t for t in res.stdout.strip().split(" ") if t]

def _quote(items):
    return "[" + ", ".join(['"%s"' % i for i in items]) + "]"

def _pkg_config_repository_impl(ctx):
    if ctx.which("pkg-config") == None:
        fail("pkg-config is not installed; run tools/setup.sh first")
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, specs in ctx.attr.libraries.items():
        modules = [s for s in specs if not s.startswith("-")]
        literal = [s for s in specs if s.startswith("-")]
        defines, includes, linkopts = [], [], list(literal)
        if modules:
            for flag in _run(ctx, ["--cflags"] + modules):
                if flag.startswith("-D"):
                    defines.append(flag[2:])
                elif flag.startswith("-I"):
                    link = "include/%s_%d" % (name, len(includes))
                    ctx.symlink(flag[2:], link)
                    includes.append(link)
                elif flag in ("-pthread",):
                    linkopts.append(flag)
                else:
                    fail("pkg-config flag %s of %s has no Bazel equivalent" % (flag, name))
            linkopts = _run(ctx, ["--libs"] + modules) + linkopts
        deps = [":" + d for d in ctx.attr.deps.get(name, [])]
        build += [
            "cc_library(",
            '    name = "%s",' % name,
            "    defines = %s," % _quote(defines),
            "    includes = %s," % _quote(includes),
            "    linkopts = %s," % _quote(linkopts),
            "    deps = %s," % _quote(deps),
            ")",
            "",
        ]
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD", "\n".join(build))

pkg_config_repository = repository_rule(
    implementation = _pkg_config_repository_impl,
    attrs = {
        "libraries": attr.string_list_dict(mandatory = True),
        "deps": attr.string_list_dict(),
    },
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)
