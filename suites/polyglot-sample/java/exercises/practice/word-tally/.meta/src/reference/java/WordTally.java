import java.util.Map;
import java.util.TreeMap;

class WordTally {

    Map<String, Integer> count(String text) {
        Map<String, Integer> tally = new TreeMap<>();
        for (String word : new Tokenizer(text).words()) {
            tally.merge(word, 1, Integer::sum);
        }
        return tally;
    }

}
