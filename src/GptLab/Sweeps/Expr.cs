using System.Globalization;

namespace GptLab.Sweeps;

/// <summary>
/// Arithmetic and comparisons over a sweep's parameters, for constraints such as <c>n_embd % n_head == 0</c> or
/// assignments such as <c>n_head = n_embd / 64</c>. Operators: + − * / % ( ) == != &lt; &lt;= &gt; &gt;= &amp;&amp; ||.
/// No expression library is on the NuGet feed here (NCalc is not), so this small recursive-descent parser is ours.
/// </summary>
public static class Expr
{
    public static double Evaluate(string text, IReadOnlyDictionary<string, double> vars) => new Parser(text, vars).Parse();

    /// <summary>"a = expr" (one '=' not part of ==, !=, &lt;=, &gt;=): the variable and its expression; else null.</summary>
    public static (string Name, string Expression)? AsAssignment(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '=') continue;
            bool partOfOp = (i > 0 && "=!<>".Contains(text[i - 1])) || (i + 1 < text.Length && text[i + 1] == '=');
            if (partOfOp) continue;
            string name = text[..i].Trim();
            if (name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c == '_')) return (name, text[(i + 1)..].Trim());
        }
        return null;
    }

    /// <summary>The variable names an expression uses.</summary>
    public static IEnumerable<string> Variables(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            if (char.IsLetter(text[i]) || text[i] == '_')
            {
                int s = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                yield return text[s..i];
            }
            else i++;
        }
    }

    private sealed class Parser(string s, IReadOnlyDictionary<string, double> vars)
    {
        private int pos;

        public double Parse()
        {
            double v = Or();
            Skip();
            if (pos < s.Length) throw Error($"unexpected '{s[pos]}'");
            return v;
        }

        private double Or()
        {
            double v = And();
            while (Eat("||")) { double r = And(); v = (v != 0 || r != 0) ? 1 : 0; }
            return v;
        }

        private double And()
        {
            double v = Compare();
            while (Eat("&&")) { double r = Compare(); v = (v != 0 && r != 0) ? 1 : 0; }
            return v;
        }

        private double Compare()
        {
            double v = Sum();
            foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
                if (Eat(op))
                {
                    double r = Sum();
                    const double eps = 1e-9;
                    return op switch
                    {
                        "==" => Math.Abs(v - r) < eps ? 1 : 0, "!=" => Math.Abs(v - r) >= eps ? 1 : 0,
                        "<=" => v <= r + eps ? 1 : 0, ">=" => v >= r - eps ? 1 : 0, "<" => v < r ? 1 : 0, _ => v > r ? 1 : 0,
                    };
                }
            return v;
        }

        private double Sum()
        {
            double v = Product();
            while (true)
            {
                if (Eat("+")) v += Product();
                else if (Eat("-")) v -= Product();
                else return v;
            }
        }

        private double Product()
        {
            double v = Unary();
            while (true)
            {
                if (Eat("*")) v *= Unary();
                else if (Eat("/")) v /= Unary();
                else if (Eat("%")) { double r = Unary(); v = v - r * Math.Floor(v / r); }
                else return v;
            }
        }

        private double Unary() => Eat("-") ? -Unary() : Eat("+") ? Unary() : Atom();

        private double Atom()
        {
            Skip();
            if (Eat("(")) { double v = Or(); if (!Eat(")")) throw Error("missing ')'"); return v; }
            int start = pos;
            if (pos < s.Length && (char.IsDigit(s[pos]) || s[pos] == '.'))
            {
                while (pos < s.Length && (char.IsDigit(s[pos]) || s[pos] == '.' || s[pos] is 'e' or 'E' || ((s[pos] is '-' or '+') && s[pos - 1] is 'e' or 'E'))) pos++;
                return double.Parse(s[start..pos], CultureInfo.InvariantCulture);
            }
            if (pos < s.Length && (char.IsLetter(s[pos]) || s[pos] == '_'))
            {
                while (pos < s.Length && (char.IsLetterOrDigit(s[pos]) || s[pos] == '_')) pos++;
                string name = s[start..pos];
                return vars.TryGetValue(name, out double v) ? v : throw Error($"unknown name '{name}'");
            }
            throw Error(pos < s.Length ? $"unexpected '{s[pos]}'" : "unexpected end");
        }

        private bool Eat(string tok)
        {
            Skip();
            if (string.CompareOrdinal(s, pos, tok, 0, tok.Length) != 0) return false;
            if (tok is "<" or ">" && pos + 1 < s.Length && s[pos + 1] == '=') return false;
            pos += tok.Length;
            return true;
        }

        private void Skip() { while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++; }

        private GptLabException Error(string what) => new($"constraint '{s}': {what} at position {pos + 1}");
    }
}
