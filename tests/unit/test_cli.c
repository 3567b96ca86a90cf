/* `mapvisor run` option parsing: sizes, every option, every usage error. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mv_boot.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static int parse_argv(struct run_opts *o, struct mv_err *e, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	memset(e, 0, sizeof(*e));
	return cli_parse_run(argc, argv, o, e);
}

/* Parse "run" followed by the given arguments. */
#define PARSE(o, e, ...) parse_argv(&(o), &(e), (char *[]){ "run", __VA_ARGS__, NULL })

static uint64_t size_of(const char *s)
{
	uint64_t v = 0;
	ck_assert_msg(cli_parse_size(s, &v) == 0, "'%s' was refused", s);
	return v;
}

static void size_refused(const char *s)
{
	uint64_t v = 12345;
	ck_assert_msg(cli_parse_size(s, &v) == -1, "'%s' was accepted as %llu", s,
		      (unsigned long long)v);
	ck_assert_uint_eq(v, 12345);
}

START_TEST(cli_size_accepts_binary_suffixes)
{
	ck_assert_uint_eq(size_of("256M"), 256 * MiB);
	ck_assert_uint_eq(size_of("1G"), GiB);
	ck_assert_uint_eq(size_of("2048K"), 2 * MiB);
	ck_assert_uint_eq(size_of("2T"), 2ull << 40);
	ck_assert_uint_eq(size_of("64m"), 64 * MiB);
	ck_assert_uint_eq(size_of("3g"), 3 * GiB);
}
END_TEST

START_TEST(cli_size_accepts_ib_and_b_spellings)
{
	ck_assert_uint_eq(size_of("1GiB"), GiB);
	ck_assert_uint_eq(size_of("512MB"), 512 * MiB);
	ck_assert_uint_eq(size_of("4KiB"), 4096);
	ck_assert_uint_eq(size_of("16Mb"), 16 * MiB);
}
END_TEST

START_TEST(cli_size_plain_number_is_bytes)
{
	ck_assert_uint_eq(size_of("4096"), 4096);
	ck_assert_uint_eq(size_of("1"), 1);
	ck_assert_uint_eq(size_of("18446744073709551615"), UINT64_MAX);
}
END_TEST

START_TEST(cli_size_rejects_junk)
{
	size_refused(NULL);
	size_refused("");
	size_refused("abc");
	size_refused("M");
	size_refused("-1");
	size_refused("+1");
	size_refused(" 1M");
	size_refused("1M ");
	size_refused("12Q");
	size_refused("1M2");
	size_refused("1MM");
	size_refused("1iB");
	size_refused("1B");
	size_refused("1Mi");
	size_refused("0x10");
	size_refused("1.5G");
}
END_TEST

START_TEST(cli_size_rejects_zero)
{
	size_refused("0");
	size_refused("0M");
	size_refused("000");
}
END_TEST

START_TEST(cli_size_rejects_overflow)
{
	size_refused("99999999999T");
	size_refused("16777216T");   /* 2^24 TiB = 2^64 */
	size_refused("17179869184G");
	size_refused("18446744073709551616");
	size_refused("99999999999999999999999M");
	ck_assert_uint_eq(size_of("16777215T"), 16777215ull << 40);
}
END_TEST

START_TEST(cli_run_defaults)
{
	struct run_opts o;
	struct mv_err e = { "" };
	char *argv[] = { "run", NULL };
	ck_assert_int_eq(cli_parse_run(1, argv, &o, &e), 0);
	ck_assert_ptr_null(o.kernel);
	ck_assert_uint_eq(o.mem, 256 * MiB);
	ck_assert_uint_eq(o.mem, CLI_DEFAULT_MEM);
	ck_assert_ptr_null(o.mem_file);
	ck_assert_int_eq(o.mem_share, -1);
	ck_assert_uint_eq(o.hugepages, 0);
	ck_assert(!o.prefault);
	ck_assert_int_eq(o.thp, -1);
	ck_assert_ptr_nonnull(o.cmdline);
	ck_assert_str_eq(o.cmdline, "");
	ck_assert_int_eq(o.entry, BOOT_ENTRY_AUTO);
	ck_assert_int_eq(o.pv, PV_AUTO);
	ck_assert_ptr_null(o.report);
	ck_assert(!o.quiet);
	ck_assert(!o.verbose);
	ck_assert_int_eq(o.ndisks, 0);
}
END_TEST

START_TEST(cli_run_kernel_long_short_and_equals)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--kernel", "/k1"), 0);
	ck_assert_str_eq(o.kernel, "/k1");
	ck_assert_int_eq(PARSE(o, e, "-k", "/k2"), 0);
	ck_assert_str_eq(o.kernel, "/k2");
	ck_assert_int_eq(PARSE(o, e, "--kernel=/k3"), 0);
	ck_assert_str_eq(o.kernel, "/k3");
	ck_assert_int_eq(PARSE(o, e, "-k/k4"), 0);
	ck_assert_str_eq(o.kernel, "/k4");
}
END_TEST

START_TEST(cli_run_mem_takes_a_size)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--mem", "1G"), 0);
	ck_assert_uint_eq(o.mem, GiB);
	ck_assert_int_eq(PARSE(o, e, "-m", "64M"), 0);
	ck_assert_uint_eq(o.mem, 64 * MiB);
	ck_assert_int_eq(PARSE(o, e, "--mem=512MiB"), 0);
	ck_assert_uint_eq(o.mem, 512 * MiB);
}
END_TEST

START_TEST(cli_run_mem_rejects_non_size)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--mem", "lots"), e, "--mem: 'lots' is not a size");
	ck_assert_fails_with(PARSE(o, e, "-m", "0"), e, "is not a size");
}
END_TEST

START_TEST(cli_run_mem_file_and_share_modes)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--mem-file", "/tmp/ram"), 0);
	ck_assert_str_eq(o.mem_file, "/tmp/ram");
	ck_assert_int_eq(o.mem_share, -1);
	ck_assert_int_eq(PARSE(o, e, "--mem-file", "/tmp/ram", "--mem-share", "shared"), 0);
	ck_assert_int_eq(o.mem_share, 1);
	ck_assert_int_eq(PARSE(o, e, "--mem-share", "private", "--mem-file", "/tmp/ram"), 0);
	ck_assert_int_eq(o.mem_share, 0);
}
END_TEST

START_TEST(cli_run_mem_share_rejects_bad_value)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--mem-file", "/x", "--mem-share", "public"), e,
			     "'public' is neither shared nor private");
	ck_assert_fails_with(PARSE(o, e, "--mem-file", "/x", "--mem-share", "Shared"), e,
			     "neither shared nor private");
}
END_TEST

START_TEST(cli_run_mem_share_needs_file_or_hugepages)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--mem-share", "shared"), e,
			     "--mem-share needs --mem-file or --hugepages");
	ck_assert_fails_with(PARSE(o, e, "--mem-share", "private"), e,
			     "--mem-share needs --mem-file or --hugepages");
	ck_assert_int_eq(PARSE(o, e, "--mem-share", "shared", "--hugepages", "2M"), 0);
	ck_assert_int_eq(o.mem_share, 1);
}
END_TEST

START_TEST(cli_run_thp_is_on_or_off_and_only_for_anonymous_ram)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--thp", "on"), 0);
	ck_assert_int_eq(o.thp, 1);
	ck_assert_int_eq(PARSE(o, e, "--thp", "off"), 0);
	ck_assert_int_eq(o.thp, 0);
	ck_assert_fails_with(PARSE(o, e, "--thp", "yes"), e, "--thp: 'yes' is neither on nor off");
	ck_assert_fails_with(PARSE(o, e, "--thp", "ON"), e, "--thp: 'ON' is neither on nor off");
	ck_assert_fails_with(PARSE(o, e, "--thp", "on", "--mem-file", "/x"), e,
			     "--thp on is for anonymous RAM (not with --mem-file or --hugepages)");
	ck_assert_fails_with(PARSE(o, e, "--hugepages", "2M", "--thp", "on"), e,
			     "--thp on is for anonymous RAM (not with --mem-file or --hugepages)");
	/* off asks for nothing: fine with any backing */
	ck_assert_int_eq(PARSE(o, e, "--mem-file", "/x", "--thp", "off"), 0);
}
END_TEST

START_TEST(cli_run_mem_file_rejects_empty_path)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--mem-file", ""), e, "--mem-file: empty path");
}
END_TEST

START_TEST(cli_run_hugepages_2m_and_1g)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--hugepages", "2M"), 0);
	ck_assert_uint_eq(o.hugepages, 2 * MiB);
	ck_assert_int_eq(PARSE(o, e, "--hugepages", "2mb"), 0);
	ck_assert_uint_eq(o.hugepages, 2 * MiB);
	ck_assert_int_eq(PARSE(o, e, "--hugepages", "1G"), 0);
	ck_assert_uint_eq(o.hugepages, GiB);
	ck_assert_int_eq(PARSE(o, e, "--hugepages=1gb"), 0);
	ck_assert_uint_eq(o.hugepages, GiB);
}
END_TEST

START_TEST(cli_run_hugepages_rejects_other_sizes)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--hugepages", "3M"), e, "'3M' is not 2M or 1G");
	ck_assert_fails_with(PARSE(o, e, "--hugepages", "4K"), e, "is not 2M or 1G");
	ck_assert_fails_with(PARSE(o, e, "--hugepages", "2097152"), e, "is not 2M or 1G");
}
END_TEST

START_TEST(cli_run_prefault_flag)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--prefault"), 0);
	ck_assert(o.prefault);
}
END_TEST

START_TEST(cli_run_prefault_takes_no_value)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--prefault=yes"), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "--prefault"));
}
END_TEST

START_TEST(cli_run_cmdline_is_kept_verbatim)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--cmdline", "selftest=all quiet"), 0);
	ck_assert_str_eq(o.cmdline, "selftest=all quiet");
	ck_assert_int_eq(PARSE(o, e, "--cmdline", ""), 0);
	ck_assert_str_eq(o.cmdline, "");
}
END_TEST

START_TEST(cli_run_cmdline_rejects_too_long)
{
	struct run_opts o;
	struct mv_err e;
	static char longest[MV_CMDLINE_MAX + 1], too_long[5001];
	memset(longest, 'a', MV_CMDLINE_MAX - 1);
	memset(too_long, 'b', 5000);
	ck_assert_int_eq(PARSE(o, e, "--cmdline", longest), 0);
	ck_assert_uint_eq(strlen(o.cmdline), MV_CMDLINE_MAX - 1);
	ck_assert_fails_with(PARSE(o, e, "--cmdline", too_long), e, "--cmdline: longer than 4095");
	longest[MV_CMDLINE_MAX - 1] = 'a';   /* exactly MV_CMDLINE_MAX: no room for the NUL */
	ck_assert_fails_with(PARSE(o, e, "--cmdline", longest), e, "--cmdline: longer than");
}
END_TEST

START_TEST(cli_run_entry_modes)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--entry", "pvh"), 0);
	ck_assert_int_eq(o.entry, BOOT_ENTRY_PVH);
	ck_assert_int_eq(PARSE(o, e, "--entry", "64"), 0);
	ck_assert_int_eq(o.entry, BOOT_ENTRY_64);
	ck_assert_int_eq(PARSE(o, e, "--entry", "pvh", "--entry", "auto"), 0);
	ck_assert_int_eq(o.entry, BOOT_ENTRY_AUTO);
}
END_TEST

START_TEST(cli_run_entry_rejects_bogus)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--entry", "bogus"), e, "'bogus' is not auto, 64 or pvh");
	ck_assert_fails_with(PARSE(o, e, "--entry", "32"), e, "is not auto, 64 or pvh");
}
END_TEST

START_TEST(cli_run_pv_modes)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--pv", "on"), 0);
	ck_assert_int_eq(o.pv, PV_ON);
	ck_assert_int_eq(PARSE(o, e, "--pv", "off"), 0);
	ck_assert_int_eq(o.pv, PV_OFF);
	ck_assert_int_eq(PARSE(o, e, "--pv", "off", "--pv", "auto"), 0);
	ck_assert_int_eq(o.pv, PV_AUTO);
}
END_TEST

START_TEST(cli_run_pv_rejects_bogus)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--pv", "bogus"), e, "'bogus' is not auto, on or off");
	ck_assert_fails_with(PARSE(o, e, "--pv", "yes"), e, "is not auto, on or off");
}
END_TEST

START_TEST(cli_run_report_path_or_stdout)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--report", "-"), 0);
	ck_assert_str_eq(o.report, "-");
	ck_assert_int_eq(PARSE(o, e, "--report", "/tmp/r.json"), 0);
	ck_assert_str_eq(o.report, "/tmp/r.json");
	ck_assert_fails_with(PARSE(o, e, "--report", ""), e, "--report: empty path");
}
END_TEST

START_TEST(cli_run_quiet_and_verbose_flags)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--quiet"), 0);
	ck_assert(o.quiet && !o.verbose);
	ck_assert_int_eq(PARSE(o, e, "-q"), 0);
	ck_assert(o.quiet && !o.verbose);
	ck_assert_int_eq(PARSE(o, e, "-v"), 0);
	ck_assert(o.verbose && !o.quiet);
	ck_assert_int_eq(PARSE(o, e, "--verbose"), 0);
	ck_assert(o.verbose && !o.quiet);
}
END_TEST

START_TEST(cli_run_quiet_with_verbose_contradicts)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--quiet", "--verbose"), e, "contradict");
	ck_assert_fails_with(PARSE(o, e, "-qv"), e, "--quiet and --verbose");
}
END_TEST

START_TEST(cli_run_disk_repeats_in_order_with_ro_suffix)
{
	struct run_opts o;
	struct mv_err e = { "" };
	int rc = PARSE(o, e, "--disk", "/img/a.ext2", "--disk=/img/b,ro", "--disk", "/img/c,d",
		       "--disk", "/img/e,ro,ro");
	ck_assert_msg(rc == 0, "%s", e.msg);
	ck_assert_int_eq(o.ndisks, 4);
	ck_assert_str_eq(o.disk[0].path, "/img/a.ext2");
	ck_assert(!o.disk[0].ro);
	ck_assert_str_eq(o.disk[1].path, "/img/b");
	ck_assert(o.disk[1].ro);
	ck_assert_str_eq(o.disk[2].path, "/img/c,d");   /* commas belong to the path */
	ck_assert(!o.disk[2].ro);
	ck_assert_str_eq(o.disk[3].path, "/img/e,ro");  /* only the last ",ro" is the flag */
	ck_assert(o.disk[3].ro);
}
END_TEST

START_TEST(cli_run_disk_rejects_fifth_and_empty)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--disk", "a", "--disk", "b", "--disk", "c", "--disk", "d",
				   "--disk", "e"),
			     e, "at most 4 disks");
	ck_assert_fails_with(PARSE(o, e, "--disk", ""), e, "--disk: empty path");
	ck_assert_fails_with(PARSE(o, e, "--disk", ",ro"), e, "--disk: empty path");
	ck_assert_fails_with(PARSE(o, e, "--disk"), e, "needs a value");
}
END_TEST

START_TEST(cli_run_all_options_together)
{
	struct run_opts o;
	struct mv_err e = { "" };
	int rc = PARSE(o, e, "-k", "/kern", "-m", "2G", "--mem-file", "/tmp/ram", "--mem-share",
		       "shared", "--hugepages", "1G", "--prefault", "--cmdline", "a=1",
		       "--entry", "pvh", "--pv", "off", "--report", "-", "-q");
	ck_assert_msg(rc == 0, "%s", e.msg);
	ck_assert_str_eq(o.kernel, "/kern");
	ck_assert_uint_eq(o.mem, 2 * GiB);
	ck_assert_str_eq(o.mem_file, "/tmp/ram");
	ck_assert_int_eq(o.mem_share, 1);
	ck_assert_uint_eq(o.hugepages, GiB);
	ck_assert(o.prefault);
	ck_assert_str_eq(o.cmdline, "a=1");
	ck_assert_int_eq(o.entry, BOOT_ENTRY_PVH);
	ck_assert_int_eq(o.pv, PV_OFF);
	ck_assert_str_eq(o.report, "-");
	ck_assert(o.quiet);
}
END_TEST

START_TEST(cli_run_parses_twice_in_one_process)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_int_eq(PARSE(o, e, "--mem", "1G", "--prefault", "-q"), 0);
	ck_assert_int_eq(PARSE(o, e, "-m", "32M"), 0);
	ck_assert_uint_eq(o.mem, 32 * MiB);
	ck_assert(!o.prefault);
	ck_assert(!o.quiet);
	ck_assert_fails_with(PARSE(o, e, "--pv", "x"), e, "--pv");
	ck_assert_int_eq(PARSE(o, e, "--pv", "on"), 0);
	ck_assert_int_eq(o.pv, PV_ON);
}
END_TEST

START_TEST(cli_run_rejects_unknown_long_option)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--bogus"), e, "unknown option '--bogus'");
	ck_assert_fails_with(PARSE(o, e, "--mem", "1G", "--frobnicate", "3"), e,
			     "unknown option '--frobnicate'");
}
END_TEST

START_TEST(cli_run_rejects_unknown_short_option)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "-x"), e, "unknown option '-x'");
}
END_TEST

START_TEST(cli_run_names_unknown_short_option_inside_a_cluster)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "-xq"), e, "unknown option");
	ck_assert_msg(strstr(e.msg, "-x") != NULL, "\"%s\" does not name -x", e.msg);
}
END_TEST

START_TEST(cli_run_rejects_ambiguous_abbreviation)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--me", "1G"), e, "--me");
}
END_TEST

START_TEST(cli_run_rejects_missing_value)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--mem"), e, "option --mem needs a value");
	ck_assert_fails_with(PARSE(o, e, "--quiet", "--cmdline"), e, "option --cmdline needs a value");
	ck_assert_fails_with(PARSE(o, e, "-k"), e, "option -k needs a value");
}
END_TEST

START_TEST(cli_run_rejects_positional_argument)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "kernel.elf"), e, "unexpected argument 'kernel.elf'");
	ck_assert_fails_with(PARSE(o, e, "--mem", "1G", "extra"), e, "unexpected argument 'extra'");
}
END_TEST

START_TEST(cli_run_stops_at_first_positional_argument)
{
	struct run_opts o;
	struct mv_err e;
	/* Options after a positional are not permuted in front of it. */
	ck_assert_fails_with(PARSE(o, e, "stray", "--mem", "1G"), e, "unexpected argument 'stray'");
	ck_assert_uint_eq(o.mem, CLI_DEFAULT_MEM);
}
END_TEST

/* prog_argv points into the argv given: the arrays below outlive the
 * checks (a compound literal inside ck_assert would not). */
START_TEST(cli_run_double_dash_ends_options)
{
	struct run_opts o;
	struct mv_err e;
	char *dashed[] = { "run", "--", "--mem", NULL };
	/* after --, an option-like word is the program, not an option */
	ck_assert_int_eq(parse_argv(&o, &e, dashed), 0);
	ck_assert_int_eq(o.prog_argc, 1);
	ck_assert_str_eq(o.prog_argv[0], "--mem");
	ck_assert_uint_eq(o.mem, CLI_DEFAULT_MEM);
	ck_assert_int_eq(PARSE(o, e, "-q", "--"), 0);
	ck_assert(o.quiet);
	ck_assert_int_eq(o.prog_argc, 0);
}
END_TEST

START_TEST(cli_run_env_goes_before_the_program_as_env_words)
{
	struct run_opts o;
	struct mv_err e;
	char buf[256] = "quiet";
	char *argv[] = { "run", "-e", "A=1", "--env", "EMPTY=", "--", "/bin/hello", "x", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, argv), 0);
	ck_assert_int_eq(o.nenv, 2);
	ck_assert_int_eq(cli_append_init(&o, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "quiet env=A=1 env=EMPTY= init=/bin/hello -- x");
}
END_TEST

START_TEST(cli_run_env_refuses_what_the_command_line_cannot_carry)
{
	struct run_opts o;
	struct mv_err e;
	char *noeq[] = { "run", "-e", "NOVALUE", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, noeq), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "is not NAME=VALUE"));
	char *noname[] = { "run", "-e", "=x", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, noname), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "is not NAME=VALUE"));
	char *space[] = { "run", "-e", "A=b c", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, space), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "space or non-printable"));
	char *many[2 + 2 * (CLI_MAX_ENV + 1)];
	int n = 0;
	many[n++] = "run";
	for (int i = 0; i <= CLI_MAX_ENV; i++) {
		many[n++] = "-e";
		many[n++] = "V=1";
	}
	many[n] = NULL;
	ck_assert_int_eq(parse_argv(&o, &e, many), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "at most"));
}
END_TEST

START_TEST(cli_run_program_after_double_dash_becomes_init)
{
	struct run_opts o;
	struct mv_err e;
	char buf[256] = "quiet";
	char *full[] = { "run", "-q", "--disk", "r.img", "--", "/bin/hello", "a", "-x", "--b", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, full), 0);
	ck_assert_int_eq(o.prog_argc, 4);
	ck_assert_str_eq(o.prog_argv[0], "/bin/hello");
	ck_assert_str_eq(o.prog_argv[3], "--b");
	ck_assert_int_eq(cli_append_init(&o, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "quiet init=/bin/hello -- a -x --b");
	/* no arguments: no " -- "; empty command line: no leading space */
	char *bare[] = { "run", "--", "/bin/true", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, bare), 0);
	buf[0] = 0;
	ck_assert_int_eq(cli_append_init(&o, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "init=/bin/true");
	/* a command line that cannot hold it */
	char small[16] = "quiet";
	char *two[] = { "run", "--", "/bin/hello", "world", NULL };
	ck_assert_int_eq(parse_argv(&o, &e, two), 0);
	ck_assert_int_eq(cli_append_init(&o, small, sizeof(small)), -1);
	ck_assert_str_eq(small, "quiet");   /* a piece that does not fit is not kept */
}
END_TEST

START_TEST(cli_run_program_arguments_must_be_printable_without_spaces)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_fails_with(PARSE(o, e, "--", "/bin/hello", "two words"), e,
			     "program argument after --: 'two words' has a space");
	ck_assert_fails_with(PARSE(o, e, "--", "/bin/hel lo"), e, "program after --: '/bin/hel lo'");
	ck_assert_fails_with(PARSE(o, e, "--", "/bin/hello", "tab\there"), e, "non-printable");
	ck_assert_fails_with(PARSE(o, e, "--", "/bin/hello", "\xc3\xa9"), e, "non-printable");
	ck_assert_fails_with(PARSE(o, e, "--", "/bin/hello", ""), e, "empty");
	/* a positional word without -- is still an error */
	ck_assert_fails_with(PARSE(o, e, "/bin/hello"), e, "unexpected argument '/bin/hello'");
}
END_TEST

START_TEST(cli_run_help_returns_1)
{
	struct run_opts o;
	struct mv_err e;
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
	ck_assert_int_eq(PARSE(o, e, "--help"), 1);
	ck_assert_int_eq(PARSE(o, e, "-h"), 1);
	ck_assert_int_eq(PARSE(o, e, "-m", "1G", "-h", "--bogus"), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	UNIT_CASE(s, cli_size_accepts_binary_suffixes);
	UNIT_CASE(s, cli_run_thp_is_on_or_off_and_only_for_anonymous_ram);
	UNIT_CASE(s, cli_size_accepts_ib_and_b_spellings);
	UNIT_CASE(s, cli_size_plain_number_is_bytes);
	UNIT_CASE(s, cli_size_rejects_junk);
	UNIT_CASE(s, cli_size_rejects_zero);
	UNIT_CASE(s, cli_size_rejects_overflow);
	UNIT_CASE(s, cli_run_defaults);
	UNIT_CASE(s, cli_run_kernel_long_short_and_equals);
	UNIT_CASE(s, cli_run_mem_takes_a_size);
	UNIT_CASE(s, cli_run_mem_rejects_non_size);
	UNIT_CASE(s, cli_run_mem_file_and_share_modes);
	UNIT_CASE(s, cli_run_mem_share_rejects_bad_value);
	UNIT_CASE(s, cli_run_mem_share_needs_file_or_hugepages);
	UNIT_CASE(s, cli_run_mem_file_rejects_empty_path);
	UNIT_CASE(s, cli_run_hugepages_2m_and_1g);
	UNIT_CASE(s, cli_run_hugepages_rejects_other_sizes);
	UNIT_CASE(s, cli_run_prefault_flag);
	UNIT_CASE(s, cli_run_prefault_takes_no_value);
	UNIT_CASE(s, cli_run_cmdline_is_kept_verbatim);
	UNIT_CASE(s, cli_run_cmdline_rejects_too_long);
	UNIT_CASE(s, cli_run_entry_modes);
	UNIT_CASE(s, cli_run_entry_rejects_bogus);
	UNIT_CASE(s, cli_run_pv_modes);
	UNIT_CASE(s, cli_run_pv_rejects_bogus);
	UNIT_CASE(s, cli_run_report_path_or_stdout);
	UNIT_CASE(s, cli_run_quiet_and_verbose_flags);
	UNIT_CASE(s, cli_run_quiet_with_verbose_contradicts);
	UNIT_CASE(s, cli_run_disk_repeats_in_order_with_ro_suffix);
	UNIT_CASE(s, cli_run_disk_rejects_fifth_and_empty);
	UNIT_CASE(s, cli_run_all_options_together);
	UNIT_CASE(s, cli_run_parses_twice_in_one_process);
	UNIT_CASE(s, cli_run_rejects_unknown_long_option);
	UNIT_CASE(s, cli_run_rejects_unknown_short_option);
	UNIT_CASE(s, cli_run_names_unknown_short_option_inside_a_cluster);
	UNIT_CASE(s, cli_run_rejects_ambiguous_abbreviation);
	UNIT_CASE(s, cli_run_rejects_missing_value);
	UNIT_CASE(s, cli_run_rejects_positional_argument);
	UNIT_CASE(s, cli_run_stops_at_first_positional_argument);
	UNIT_CASE(s, cli_run_double_dash_ends_options);
	UNIT_CASE(s, cli_run_program_after_double_dash_becomes_init);
	UNIT_CASE(s, cli_run_env_goes_before_the_program_as_env_words);
	UNIT_CASE(s, cli_run_env_refuses_what_the_command_line_cannot_carry);
	UNIT_CASE(s, cli_run_program_arguments_must_be_printable_without_spaces);
	UNIT_CASE(s, cli_run_help_returns_1);
	return unit_run(s);
}
