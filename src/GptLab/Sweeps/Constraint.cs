using DynamicExpresso;
using DynamicExpresso.Exceptions;

namespace GptLab.Sweeps;

/// <summary>
/// One entry of a sweep's <c>constraints</c>: a filter over config keys (<c>n_embd % n_head == 0</c>) or a derived
/// value (<c>n_head = n_embd / 64</c>). Expressions use C# syntax over doubles (+ − * / % ( ) == != &lt; &lt;= &gt; &gt;=
/// &amp;&amp; || !), evaluated by DynamicExpresso; each is parsed once.
/// </summary>
internal sealed class Constraint
{
    private readonly Lambda lambda;
    private readonly string[] names;

    private Constraint(string text, string? assigns, Lambda lambda)
    {
        Text = text;
        Assigns = assigns;
        this.lambda = lambda;
        names = lambda.DeclaredParameters.Select(p => p.Name).ToArray();
    }

    public string Text { get; }

    /// <summary>The config key an assignment sets, or null for a filter.</summary>
    public string? Assigns { get; }

    public static Constraint Parse(string text, IReadOnlyList<string> keys)
    {
        string? assigns = null;
        string expression = text;
        int eq = AssignmentAt(text);
        if (eq > 0)
        {
            assigns = text[..eq].Trim();
            expression = text[(eq + 1)..];
            if (!keys.Contains(assigns)) throw new GptLabException($"constraint '{text}': '{assigns}' is not a config key");
        }
        try
        {
            var used = keys.Where(k => System.Text.RegularExpressions.Regex.IsMatch(expression, $@"\b{k}\b")).ToArray();
            var lambda = new Interpreter(InterpreterOptions.None).Parse(expression, used.Select(k => new Parameter(k, typeof(double))).ToArray());
            if (lambda.ReturnType != typeof(bool) && lambda.ReturnType != typeof(double) && lambda.ReturnType != typeof(int))
                throw new GptLabException($"constraint '{text}': must be a comparison or a number");
            return new Constraint(text, assigns, lambda);
        }
        catch (ParseException e)
        {
            throw new GptLabException($"constraint '{text}': {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>A filter's truth as 1 or 0, or an assignment's value; variables not in <paramref name="vars"/> are 0.</summary>
    public double Evaluate(IReadOnlyDictionary<string, double> vars)
    {
        object? r;
        try { r = lambda.Invoke(names.Select(n => (object)vars.GetValueOrDefault(n)).ToArray()); }
        catch (Exception e) when (e is not GptLabException)
        {
            // whatever the expression threw (a method given a bad argument, a cast, …): name the constraint and the values
            var inner = e is System.Reflection.TargetInvocationException { InnerException: Exception i } ? i : e;
            throw new GptLabException($"constraint '{Text}' failed for {Values(vars)}: {inner.Message.Split('\n')[0]}");
        }
        return r switch
        {
            bool b => b ? 1 : 0,
            double d when !double.IsFinite(d) => throw new GptLabException($"constraint '{Text}' gives {d} for {Values(vars)} — a config value must be a finite number"),
            double d => d,
            int i => i,
            _ => throw new GptLabException($"constraint '{Text}': must be a comparison or a number"),
        };
    }

    private string Values(IReadOnlyDictionary<string, double> vars) =>
        string.Join(", ", names.Select(n => $"{n}={vars.GetValueOrDefault(n).ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

    /// <summary>The index of a lone '=' (not part of ==, !=, &lt;=, &gt;=) after a plain name, or −1.</summary>
    private static int AssignmentAt(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '=') continue;
            bool partOfOp = (i > 0 && "=!<>".Contains(text[i - 1])) || (i + 1 < text.Length && text[i + 1] == '=');
            if (partOfOp) continue;
            string name = text[..i].Trim();
            return name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c == '_') ? i : -1;
        }
        return -1;
    }
}
