#!/usr/bin/env escript
%% The Erlang/OTP peer of bench_restart_latency (bench/restart_latency.cc):
%% a one_for_one supervisor with one transient gen_server child that crashes
%% immediately on every start. Timed per restart, as on the naos side:
%%   crash    the child's last act before it stops with reason `crash`
%%            (in handle_continue, right after init/1 returned);
%%   running  the restarted child's init/1.
%% Logging is off (the naos side keeps no log either): with the default
%% logger every crash would format and print two error reports.
%%
%% Usage: escript bench/restart_latency.escript [RESTARTS] [WARMUP]
%% Prints the numbers and a `RESULT otp ...` line for restart_latency.sh.
-mode(compile).
-behaviour(supervisor).

-export([main/1, init/1, start_child/0, handle_continue/2, handle_call/3, handle_cast/2]).

main(Args) ->
    {Restarts, Warmup} =
        case Args of
            [R, W | _] -> {list_to_integer(R), list_to_integer(W)};
            [R] -> {list_to_integer(R), 20};
            [] -> {200, 20}
        end,
    Total = Warmup + Restarts + 1,
    logger:set_primary_config(level, none),
    bench = ets:new(bench, [named_table, public, ordered_set, {write_concurrency, false}]),
    ets:insert(bench, [{runs, 0}, {total, Total}, {waiter, self()}]),
    process_flag(trap_exit, true),
    {ok, Sup} = supervisor:start_link(?MODULE, supervisor),
    receive
        done -> ok
    after 60000 ->
        io:format(standard_error, "restart_latency.escript: the loop did not finish~n", []),
        halt(1)
    end,
    unlink(Sup),
    exit(Sup, shutdown),
    Latencies = [ets:lookup_element(bench, {running, K}, 2) - ets:lookup_element(bench, {crash, K - 1}, 2)
                 || K <- lists:seq(Warmup + 1, Total - 1)],
    Sorted = lists:sort(Latencies),
    N = length(Sorted),
    P50 = percentile(Sorted, N, 0.50) / 1000,
    P99 = percentile(Sorted, N, 0.99) / 1000,
    Mean = lists:sum(Sorted) / N / 1000,
    Min = hd(Sorted) / 1000,
    Max = lists:last(Sorted) / 1000,
    io:format("Erlang/OTP ~s restart latency, crash -> restarted child's init (~b restarts, ~b warmup)~n",
              [erlang:system_info(otp_release), N, Warmup]),
    io:format("  p50 ~.1f us  p99 ~.1f us  mean ~.1f us  min ~.1f us  max ~.1f us~n", [P50, P99, Mean, Min, Max]),
    io:format("RESULT otp p50_us=~.1f p99_us=~.1f mean_us=~.1f count=~b~n", [P50, P99, Mean, N]).

percentile(Sorted, N, Q) ->
    Index = max(1, min(N, ceil(Q * N))),
    lists:nth(Index, Sorted).

now_ns() -> erlang:monotonic_time(nanosecond).

%% ---- supervisor ----------------------------------------------------------------

init(supervisor) ->
    Flags = #{strategy => one_for_one, intensity => 1000000, period => 3600},
    Child = #{id => crasher, start => {?MODULE, start_child, []}, restart => transient,
              shutdown => 5000, type => worker},
    {ok, {Flags, [Child]}};
%% ---- the child (a gen_server) ----------------------------------------------------
init(child) ->
    Run = ets:update_counter(bench, runs, 1) - 1,
    ets:insert(bench, {{running, Run}, now_ns()}),
    {ok, Run, {continue, crash}}.

start_child() -> gen_server:start_link(?MODULE, child, []).

handle_continue(crash, Run) ->
    Total = ets:lookup_element(bench, total, 2),
    if
        Run + 1 < Total ->
            ets:insert(bench, {{crash, Run}, now_ns()}),
            {stop, crash, Run};
        true ->
            ets:lookup_element(bench, waiter, 2) ! done,
            {stop, normal, Run}
    end.

handle_call(_, _, State) -> {reply, ok, State}.
handle_cast(_, State) -> {noreply, State}.
