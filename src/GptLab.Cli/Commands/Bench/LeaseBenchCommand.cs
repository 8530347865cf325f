using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.IO;
using Spectre.Console;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench lease</c>: how a lost lease stops its holder, and what fencing costs.</summary>
internal static class LeaseBenchCommand
{
    public static Command Create()
    {
        var rounds = (new Option<int>("--rounds") { Description = "pause-and-take-over rounds", DefaultValueFactory = _ => 5 }).AtLeast(1);
        var timeout = (new Option<double>("--heartbeat-timeout") { Description = "the study's heartbeat_timeout (s)", DefaultValueFactory = _ => 2 }).AtLeast(0.5);
        var steps = (new Option<int>("--steps") { Description = "training steps per fencing-cost run", DefaultValueFactory = _ => 300 }).AtLeast(20);
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("lease", "A sweep trial's lease: how soon a paused (SIGSTOP) worker stops after waking once its trial was taken over, what it still writes, and what fencing costs per step.") { rounds, timeout, steps, json };
        cmd.SetAction(p =>
        {
            TorchRuntime.Initialize(1);
            string tmp = Directory.CreateTempSubdirectory("gptlab-lease-").FullName;
            try
            {
                var r = LeaseBenchmark.Run(tmp, args =>
                {
                    var psi = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
                    foreach (var a in args) psi.ArgumentList.Add(a);
                    psi.Environment["CI"] = "1";
                    return System.Diagnostics.Process.Start(psi)!;
                }, p.GetValue(rounds), p.GetValue(timeout), p.GetValue(steps), p.GetValue(json) ? null : s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"));
                Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                    : $"paused worker, heartbeat_timeout {r.HeartbeatTimeoutS:0.#} s, {r.Rounds} rounds: stopped {r.StopMsMedian:0.0} ms after waking (median; max {r.StopMsMax:0.0}); files written after waking: {r.FilesWrittenAfterWake}\n" +
                      $"fencing: {r.CheckNs:0.0} ns per check; {r.MsPerStepFenced:0.000} ms/step with a lease vs {r.MsPerStepUnfenced:0.000} without (× {r.FenceCostRatio:0.000})");
            }
            finally { Directory.Delete(tmp, true); }
            return 0;
        });
        return cmd;
    }
}
