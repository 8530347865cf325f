using Microsoft.Playwright;

namespace GptLab.Tests.Server;

/// <summary>`gptlab serve` in Debian's Chromium: every page draws from real run folders and a real study, updates
/// live, and logs no console error. A screenshot of each page is saved beside the tests (screenshots/).</summary>
public class DashboardBrowserTests(DashboardFixture dash) : IClassFixture<DashboardFixture>
{
    private static readonly LocatorAssertionsToHaveCountOptions Wait = new() { Timeout = 30_000 };

    [Fact]
    public async Task The_runs_table_lists_every_run_with_its_live_status_and_the_sweep()
    {
        var (page, errors) = await dash.OpenAsync("#/");
        var rows = page.Locator("#runs tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(6, Wait);
        async Task<string> StatusOf(string run) => await page.Locator($"#runs tr[data-run='{run}'] [data-status]").GetAttributeAsync("data-status") ?? "";
        Assert.Equal("finished", await StatusOf("finished"));
        Assert.Equal("finished", await StatusOf("mse"));
        Assert.Equal("running", await StatusOf("live"));
        Assert.Equal("stopped", await StatusOf("dead"));
        await Assertions.Expect(page.Locator("#sweeps tbody tr")).ToHaveCountAsync(2, Wait);
        await page.FillAsync("#filter", "mse");
        await Assertions.Expect(rows).ToHaveCountAsync(1, Wait);
        await dash.ScreenshotAsync(page, "runs");
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_run_page_draws_its_charts_and_a_point_appears_live_when_the_trainer_appends_a_line()
    {
        var (page, errors) = await dash.OpenAsync("#/run/live");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        var loss = page.Locator("#charts figure").First;
        await Assertions.Expect(loss.Locator("figcaption")).ToContainTextAsync("loss (nats/token) vs step");
        await Assertions.Expect(loss).ToHaveAttributeAsync("data-points", "3", new() { Timeout = 30_000 });
        dash.AppendTrain("live", 4);
        // no reload: the line arrives over the event stream and the chart redraws with one more point
        await Assertions.Expect(loss).ToHaveAttributeAsync("data-points", "4", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("h1 [data-status]")).ToHaveAttributeAsync("data-status", "running");
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_summary_line_checkpoints_and_try_the_model_follow_a_run_as_it_trains()
    {
        // "growing": a run of its own in the fixture, in progress, with no evaluation or checkpoint yet
        var run = new GptLab.Runs.RunDirectory(dash.Dir["runs/growing"]);
        var (page, errors) = await dash.OpenAsync("#/run/growing");
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("2 steps", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#try-model")).ToContainTextAsync("no checkpoint yet");
        // the trainer evaluates and checkpoints: no reload, the page follows
        CopyFolder(dash.Dir["runs/finished/checkpoints/last"], run.LastCheckpoint);
        run.AppendMetric(new GptLab.Runs.MetricRecord { Kind = "eval", Step = 30, Tokens = 30 * 64, TrainLoss = 3.5, ValLoss = 3.25, ValNll = 3.2468, Time = DateTime.UtcNow });
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("30 steps", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#summary")).ToContainTextAsync("best val NLL 3.2468");
        await Assertions.Expect(page.Locator("#checkpoints")).ToContainTextAsync("last: step 30", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#try-model #prompt")).ToHaveCountAsync(1, Wait);
        // and the end of the run shows at once too
        run.WriteStatus(run.ReadStatus()! with { State = "finished" });
        await Assertions.Expect(page.Locator("h1 [data-status]")).ToHaveAttributeAsync("data-status", "finished", new() { Timeout = 30_000 });
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    [Fact]
    public async Task A_chart_downloads_as_a_png_and_the_metrics_link_is_on_the_page()
    {
        var (page, errors) = await dash.OpenAsync("#/run/finished");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#charts figure a.png").First.ClickAsync());
        Assert.Equal("Loss.png", download.SuggestedFilename);
        string path = (await download.PathAsync())!;
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(path).Take(4));
        Assert.Equal("api/run/metrics.csv?name=finished", await page.Locator("#metrics-csv").GetAttributeAsync("href"));
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_n_gram_baselines_of_the_runs_dataset_are_dashed_beside_its_loss()
    {
        string data = dash.Dir["data"];
        using (var ds = GptLab.Data.Dataset.Open(data)) GptLab.Baselines.NGramBaseline.Run(ds, 3);
        var (page, errors) = await dash.OpenAsync("#/run/finished");
        var loss = page.Locator("#charts figure").First;
        await Assertions.Expect(loss.Locator(".u-legend")).ToContainTextAsync("3-gram (Kneser–Ney)", new() { Timeout = 30_000 });
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Smoothing_draws_a_moving_average_over_the_faint_raw_line()
    {
        var (page, errors) = await dash.OpenAsync("#/run/finished");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        var legend = page.Locator("#charts figure").First.Locator(".u-legend");
        await Assertions.Expect(legend).Not.ToContainTextAsync("(smoothed)");
        await page.Locator("#smooth").FillAsync("0.9");
        await Assertions.Expect(legend).ToContainTextAsync("train loss (step) (smoothed)", new() { Timeout = 30_000 });
        await Assertions.Expect(legend).ToContainTextAsync("train loss (step) (raw)");
        // TensorBoard's debiased EMA: a constant stays itself from the first point; 0, 10 at weight 0.5 → 0, 6.67
        var constant = await page.EvaluateAsync<double[]>("() => window.gptlabEma([1, 1, 1], 0.9)");
        Assert.All(constant, v => Assert.Equal(1.0, v, 12));
        var two = await page.EvaluateAsync<double[]>("() => window.gptlabEma([0, 10], 0.5)");
        Assert.Equal(0, two[0], 9);
        Assert.Equal(20.0 / 3, two[1], 9);
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Axis_ticks_carry_the_digits_that_tell_them_apart()
    {
        var (page, errors) = await dash.OpenAsync("#/run/live");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        // the tick values uPlot hands the axes' formatter on a learning-rate axis (6e-4 … 1e-3), during warm-up, and a loss axis
        async Task<string[]> Labels(double[] ticks) => await page.EvaluateAsync<string[]>("t => window.gptlabTickLabels(null, t)", ticks);
        Assert.Equal(["6e-4", "7e-4", "8e-4", "9e-4", "1e-3"], await Labels([0.0006, 0.0007, 0.0008, 0.0009, 0.001]));
        Assert.Equal(["0", "2e-5", "4e-5", "6e-5"], await Labels([0, 0.00002, 0.00004, 0.00006]));
        Assert.Equal(["1.8", "1.85", "1.9", "1.95", "2"], await Labels([1.8, 1.85, 1.9, 1.95, 2.0]));
        Assert.Equal(["20,000", "40,000", "60,000"], await Labels([20000, 40000, 60000]));
        // the colour scale for trials stays readable on white at both ends (viridis ended in pale yellow)
        foreach (var t in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            var rgb = (await page.EvaluateAsync<string>($"() => window.gptlabRamp({t.ToString(System.Globalization.CultureInfo.InvariantCulture)})"))
                .Trim('r', 'g', 'b', '(', ')').Split(',').Select(v => int.Parse(v) / 255.0).Select(c => c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4)).ToArray();
            double contrast = 1.05 / (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] + 0.05);   // WCAG contrast against white
            Assert.True(contrast >= 2.5, $"ramp({t}) has contrast {contrast:0.0} against white");
        }
        foreach (var ticks in new[] { new[] { 0.0011, 0.0012, 0.0013 }, [2.001, 2.002, 2.003], [1e-7, 2e-7, 3e-7] })
        {
            var labels = await Labels(ticks);
            Assert.Equal(ticks.Length, labels.Distinct().Count());   // never "0.001, 0.001, 0.001"
        }
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_finished_run_shows_its_config_changes_checkpoints_and_samples_at_each_evaluation()
    {
        var (page, errors) = await dash.OpenAsync("#/run/mse");   // trained with --set loss=mse over its config file
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        await Assertions.Expect(page.Locator("#samples .sample")).ToHaveCountAsync(4, Wait);   // evaluations at 0, 10, 20, 30
        // an mse run: its samples are headed by the val NLL (what they hold), its loss axis says mse, not nats/token
        await Assertions.Expect(page.Locator("#samples .sample .muted").First).ToContainTextAsync("val NLL");
        await Assertions.Expect(page.Locator("#charts figure figcaption").First).ToContainTextAsync("mse loss · val NLL (nats)");
        await Assertions.Expect(page.Locator("#config td.changed").First).ToHaveTextAsync("loss");
        await Assertions.Expect(page.Locator("#checkpoints li")).ToHaveCountAsync(2, Wait);
        // the config's long values (loss_options, the dataset's path) wrap: nothing is wider than the 1,400 px window
        var width = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(width[0] <= width[1], $"the run page scrolls sideways: {width[0]} px of content in a {width[1]} px window");
        Assert.True(await page.Locator("#samples").EvaluateAsync<int>("e => e.getBoundingClientRect().width") > 400, "the samples column is squeezed");
        await page.SelectOptionAsync("#x-axis", "tokens");
        await Assertions.Expect(page.Locator("#charts figure figcaption").First).ToContainTextAsync("vs tokens");
        await page.CheckAsync("#log-y");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        // the log axis fits the data instead of snapping out to a whole decade
        var range = (await page.Locator("#charts figure").Nth(3).GetAttributeAsync("data-y-range"))!.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var throughput = new GptLab.Runs.RunDirectory(dash.Dir["runs/mse"]).ReadMetrics().Where(m => m.TokensPerS is > 0).Select(m => m.TokensPerS!.Value).ToList();
        Assert.InRange(range[1], throughput.Max(), throughput.Max() * 1.2);
        Assert.InRange(range[0], throughput.Min() / 1.2, throughput.Min());
        await dash.ScreenshotAsync(page, "run-log");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_predict_box_shows_ten_bars_and_a_sample_streams_in()
    {
        var (page, errors) = await dash.OpenAsync("#/run/finished");
        await page.FillAsync("#prompt", "ROMEO:");
        await page.ClickAsync("#predict");
        await Assertions.Expect(page.Locator("#predictions .bar")).ToHaveCountAsync(10, Wait);
        // every candidate is readable: whitespace shows as ␣ ↵ ⇥ (and control characters as \xNN), never as a blank label
        var labels = await page.Locator("#predictions .label").AllInnerTextsAsync();
        Assert.All(labels, l => Assert.False(string.IsNullOrWhiteSpace(l), $"a blank label among: {string.Join(" | ", labels)}"));
        Assert.Equal("␣↵⇥a\\x01", await page.EvaluateAsync<string>("() => window.gptlabVisible(' \\n\\ta\\u0001')"));
        // the sampler's options and the checkpoint are the page's: greedy (temperature 0) gives the same text twice
        await Assertions.Expect(page.Locator("#checkpoint option").First).ToHaveTextAsync("best checkpoint (step 30)");
        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#tokens", "60");
        async Task<string> Sample()
        {
            await page.ClickAsync("#sample");
            await Assertions.Expect(page.Locator("#sample")).ToBeEnabledAsync(new() { Timeout = 60_000 });
            return await page.Locator("#sample-out").InnerTextAsync();
        }
        string text = await Sample();
        Assert.StartsWith("ROMEO:", text);
        Assert.True(text.Length > 40, $"the streamed sample is too short: \"{text}\"");
        Assert.Equal(text, await Sample());
        Assert.Equal("", await page.Locator("#model-note").InnerTextAsync());
        await dash.ScreenshotAsync(page, "run");
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Compare_overlays_two_runs_with_a_legend_and_tabulates_the_loss_study()
    {
        var (page, errors) = await dash.OpenAsync("#/");
        await page.CheckAsync("#runs tr[data-run='finished'] input");
        await page.CheckAsync("#runs tr[data-run='mse'] input");
        await page.ClickAsync("#compare");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(5, Wait);
        var legend = page.Locator("#charts figure").First.Locator(".u-legend .u-series");
        await Assertions.Expect(legend.Filter(new() { HasText = "finished" })).ToHaveCountAsync(1, Wait);
        await Assertions.Expect(legend.Filter(new() { HasText = "mse" })).ToHaveCountAsync(1, Wait);
        var study = page.Locator("#study tbody tr");
        await Assertions.Expect(study).ToHaveCountAsync(2, Wait);
        await Assertions.Expect(study.Filter(new() { HasText = "mse" }).Locator("td").Nth(1)).ToHaveTextAsync("mse");
        await Assertions.Expect(study.Filter(new() { HasText = "finished" }).Locator("td").Nth(1)).ToHaveTextAsync("cross_entropy");
        // the config keys that differ, one column per run; nothing they share
        var loss = page.Locator("#config-diff tbody tr").Filter(new() { HasText = "loss" }).First;
        await Assertions.Expect(loss.Locator("td")).ToHaveTextAsync(["loss", "\"cross_entropy\"", "\"mse\""]);
        await Assertions.Expect(page.Locator("#config-diff tbody tr").Filter(new() { HasText = "n_layer" })).ToHaveCountAsync(0);
        await page.SelectOptionAsync("#x-axis", "wall_s");
        await Assertions.Expect(page.Locator("#charts figure figcaption").First).ToContainTextAsync("vs wall time (s)");
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(5, Wait);
        await dash.ScreenshotAsync(page, "compare");
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_sweep_page_shows_its_trials_curves_parallel_coordinates_and_importance()
    {
        var (page, errors) = await dash.OpenAsync("#/sweep/sw");
        await Assertions.Expect(page.Locator("#trials tr.trial")).ToHaveCountAsync(4, Wait);
        // the trials as CSV, from the link on the page: the report's trials.csv, ranked, one val_nll column
        string href = (await page.Locator("#trials-csv").GetAttributeAsync("href"))!;
        using (var http = new HttpClient())
        {
            var rows = (await http.GetStringAsync(dash.Url + href)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("rank,config,phase,iters,status,learning_rate,n_layer,val_nll,wall_s,tokens_per_s", rows[0]);
            Assert.Equal(5, rows.Length);
            Assert.Equal(["1", "2", "3", "4"], rows.Skip(1).Select(r => r.Split(',')[0]));
        }
        await Assertions.Expect(page.Locator("#sweep-summary")).ToContainTextAsync("4 done");
        await Assertions.Expect(page.Locator("#curves canvas")).ToHaveCountAsync(1, Wait);
        await Assertions.Expect(page.Locator("#curves figure")).ToHaveAttributeAsync("data-points", "12", new() { Timeout = 30_000 });   // 4 configs × evals at 0, 4, 8
        await Assertions.Expect(page.Locator("#scatters figure")).ToHaveCountAsync(3, Wait);   // the Pareto chart and one per parameter
        await Assertions.Expect(page.Locator("#scatters svg:not([data-title*='training time']) circle.point")).ToHaveCountAsync(8, Wait);
        await Assertions.Expect(page.Locator("#scatters svg[data-title*='training time'] circle.point.front").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#parallel polyline.trial-line")).ToHaveCountAsync(4, Wait);
        await Assertions.Expect(page.Locator("#importance .bars .bar")).ToHaveCountAsync(4, Wait);   // 2 parameters × (metric, time)
        await page.SelectOptionAsync("#colour-by", "n_layer");
        await Assertions.Expect(page.Locator("#colour-key")).ToContainTextAsync("n_layer");
        await dash.ScreenshotAsync(page, "sweep");
        // a trial's row opens its run page (a trial is an ordinary run folder)
        await page.Locator("#trials tr.trial a.trial-link").First.ClickAsync();
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("sw/trials/000");
        Assert.Empty(errors);
        await page.CloseAsync();
    }
    [Fact]
    public async Task The_runs_table_shows_config_columns_and_filters_by_a_config_value()
    {
        var (page, errors) = await dash.OpenAsync("#/");
        var rows = page.Locator("#runs tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(6, Wait);
        // the runs differ in their loss: that column is shown at first, with each run's value
        await Assertions.Expect(page.Locator("#runs th[data-key='c:loss']")).ToHaveCountAsync(1, Wait);
        await Assertions.Expect(page.Locator("#runs tr[data-run='mse']")).ToContainTextAsync("mse");
        // a column picked from the config keys
        await page.Locator("#columns summary").ClickAsync();
        await page.Locator("#columns input[value='n_embd']").CheckAsync();
        await Assertions.Expect(page.Locator("#runs th[data-key='c:n_embd']")).ToHaveCountAsync(1, Wait);
        await page.Locator("#columns summary").ClickAsync();
        // filters by config value: equality, inequality, numbers compared as numbers, several at once
        await page.FillAsync("#filter", "loss=mse");
        await Assertions.Expect(rows).ToHaveCountAsync(1, Wait);
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-run", "mse");
        await page.FillAsync("#filter", "loss!=mse");
        await Assertions.Expect(rows).ToHaveCountAsync(5, Wait);
        await page.FillAsync("#filter", "lr>=1e-3 n_embd>9 loss=mse");   // 16 > 9 as numbers (not as text)
        await Assertions.Expect(rows).ToHaveCountAsync(1, Wait);
        await page.FillAsync("#filter", "n_layer>2");
        await Assertions.Expect(rows).ToHaveCountAsync(0, Wait);
        await page.FillAsync("#filter", "nlayer=1");
        await Assertions.Expect(page.Locator("#filter-note")).ToContainTextAsync("no config key 'nlayer'");
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_sweeps_trials_are_listed_under_it_on_the_runs_page_each_linking_to_its_run()
    {
        var (page, errors) = await dash.OpenAsync("#/");
        await page.Locator("#sweeps tr[data-sweep='sw'] button.toggle-trials").ClickAsync();
        var trials = page.Locator("#sweeps tr.sweep-trials[data-sweep='sw'] a.trial-run");
        await Assertions.Expect(trials).ToHaveCountAsync(4, Wait);
        await Assertions.Expect(page.Locator("#sweeps tr.sweep-trials[data-sweep='sw'] [data-status='done']")).ToHaveCountAsync(4, Wait);
        await trials.First.ClickAsync();
        await Assertions.Expect(page.Locator("#charts canvas")).ToHaveCountAsync(6, Wait);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("sw/trials/0000");
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Brushing_a_parallel_coordinates_axis_filters_the_trial_rows()
    {
        var (page, errors) = await dash.OpenAsync("#/sweep/sw");
        await Assertions.Expect(page.Locator("#parallel polyline.trial-line")).ToHaveCountAsync(4, Wait);
        await Assertions.Expect(page.Locator("#trials tr.trial")).ToHaveCountAsync(4, Wait);
        // drag down the top third of the n_layer axis: the configurations with 2 layers (the top of that axis)
        var axis = page.Locator("#parallel rect.brush-area[data-axis='n_layer']");
        await axis.ScrollIntoViewIfNeededAsync();
        var box = (await axis.BoundingBoxAsync())!;
        float x = box.X + box.Width / 2;
        await page.Mouse.MoveAsync(x, box.Y + 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(x, box.Y + box.Height * 0.2f, new() { Steps = 4 });
        await page.Mouse.MoveAsync(x, box.Y + box.Height * 0.3f, new() { Steps = 4 });
        await page.Mouse.UpAsync();
        await Assertions.Expect(page.Locator("#trials tr.trial")).ToHaveCountAsync(2, Wait);
        int layerColumn = await page.Locator("#trials th").EvaluateAllAsync<int>("hs => hs.findIndex(h => h.dataset.key === 'p_n_layer')");
        foreach (var row in await page.Locator("#trials tr.trial").AllAsync())
            Assert.Equal("2", (await row.Locator("td").Nth(layerColumn).InnerTextAsync()).Trim());
        await Assertions.Expect(page.Locator("#parallel polyline.filtered-out")).ToHaveCountAsync(2, Wait);
        await Assertions.Expect(page.Locator("#brush-note")).ToContainTextAsync("2 of 4 configurations");
        await dash.ScreenshotAsync(page, "sweep-brushed");
        await page.Locator("#clear-brushes").ClickAsync();
        await Assertions.Expect(page.Locator("#trials tr.trial")).ToHaveCountAsync(4, Wait);
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_best_configuration_is_one_click_away_and_downloads_as_a_ready_preset()
    {
        var (page, errors) = await dash.OpenAsync("#/sweep/sw");
        await Assertions.Expect(page.Locator("#best-config summary")).ToContainTextAsync("best configuration: config", new() { Timeout = 30_000 });
        await page.Locator("#best-config summary").ClickAsync();
        await Assertions.Expect(page.Locator("#best-config tr.swept")).ToHaveCountAsync(2, Wait);   // learning_rate, n_layer
        string href = (await page.Locator("#best-json").GetAttributeAsync("href"))!;
        using var http = new HttpClient();
        var preset = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(dash.Url + href))!.AsObject();
        var sweep = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(dash.Url + "api/sweep?name=sw"))!;
        var best = sweep["trials"]!.AsArray().MinBy(t => (double)t!["metric"]!)!;
        Assert.Equal((double)best["params"]!["learning_rate"]!, (double)preset["learning_rate"]!);
        Assert.Equal((int)best["params"]!["n_layer"]!, (int)preset["n_layer"]!);
        Assert.Equal(8, (int)preset["max_iters"]!);
        Assert.Contains($"config {best["config_id"]}", (string)preset["_comment"]!);
        Assert.DoesNotContain(dash.Dir.Path, (string)preset["_comment"]!);
        // and `gptlab train --config best.json` accepts it
        File.WriteAllText(dash.Dir["best.json"], preset.ToJsonString());
        var r = GptLabProcess.Run(dash.Dir.Path, "train", "--config", "best.json", "--set", "max_iters=1", "--set", "eval_interval=1", "--out", "best-run", "--samples", "0", "--threads", "1");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Empty(errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_sweep_in_progress_shows_its_running_trials_latest_values_in_every_plot()
    {
        var (page, errors) = await dash.OpenAsync("#/sweep/sw-live");
        await Assertions.Expect(page.Locator("#sweep-summary")).ToContainTextAsync("2 done, 2 running", new() { Timeout = 30_000 });
        // scatter points for all four configurations, the two running ones hollow at their latest intermediate value
        await Assertions.Expect(page.Locator("#scatters figure")).ToHaveCountAsync(3, Wait);
        await Assertions.Expect(page.Locator("#scatters svg:not([data-title*='training time']) circle.point")).ToHaveCountAsync(8, Wait);
        await Assertions.Expect(page.Locator("#scatters circle.point.running")).ToHaveCountAsync(4, Wait);
        await Assertions.Expect(page.Locator("#parallel polyline.trial-line")).ToHaveCountAsync(4, Wait);
        await Assertions.Expect(page.Locator("#parallel polyline[stroke-dasharray]")).ToHaveCountAsync(2, Wait);
        await Assertions.Expect(page.Locator("#curves figure")).ToHaveAttributeAsync("data-points", "12", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#curves .u-legend")).ToContainTextAsync("(running)");
        // a learning-rate axis is logarithmic with 1-2-5 ticks
        var ticks = await page.Locator("#scatters svg[data-title='val_nll vs learning_rate'] text.x-tick").AllTextContentsAsync();
        Assert.Equal(["0.001", "0.002", "0.005", "0.01"], ticks);
        await dash.ScreenshotAsync(page, "sweep-live");
        Assert.Empty(errors);
        await page.CloseAsync();
    }
    [Fact]
    public async Task A_long_run_draws_the_envelope_of_its_lines_and_keeps_every_spike()
    {
        // "long": 6,000 training lines with one spike (made by the fixture); the page is sent the first, last, lowest
        // and highest line of each slice of steps
        var (page, errors) = await dash.OpenAsync("#/run/long");
        await Assertions.Expect(page.Locator("#envelope-note")).ToContainTextAsync("6,000 metric lines", new() { Timeout = 30_000 });
        var loss = page.Locator("#charts figure").First;
        await Assertions.Expect(loss).ToHaveAttributeAsync("data-drawn", new System.Text.RegularExpressions.Regex("^\\d+$"), new() { Timeout = 30_000 });
        int drawn = int.Parse((await loss.GetAttributeAsync("data-drawn"))!);
        Assert.InRange(drawn, 100, 4000);
        double top = double.Parse((await loss.GetAttributeAsync("data-y-range"))!.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(top >= 50, $"the spike (50) is off the chart: y up to {top}");
        // the CSV has every line
        using var http = new HttpClient();
        var csv = await http.GetStringAsync(dash.Url + "api/run/metrics.csv?name=long");
        Assert.Equal(6001, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Empty(errors);
        await page.CloseAsync();
    }
}
