import java.util.ArrayList;
import java.util.List;

/** Splits a text into lower-case words: letters, digits and inner apostrophes. */
class Tokenizer {

    private final String text;

    Tokenizer(String text) {
        this.text = text;
    }

    List<String> words() {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (char c : text.toLowerCase().toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '\'') {
                current.append(c);
            } else {
                flush(current, out);
            }
        }
        flush(current, out);
        return out;
    }

    private static void flush(StringBuilder current, List<String> out) {
        String word = current.toString().replaceAll("^'+|'+$", "");
        if (!word.isEmpty()) {
            out.add(word);
        }
        current.setLength(0);
    }

}
