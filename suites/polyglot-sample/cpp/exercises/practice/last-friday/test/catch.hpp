// A small test framework written for tribench's sample exercises. It offers the part of the
// Catch interface the Exercism C++ layout uses (TEST_CASE, REQUIRE, REQUIRE_THROWS_AS, CHECK,
// CATCH_CONFIG_MAIN) so the exercises keep the real layout without shipping Catch itself.
#pragma once

#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace tribench_check {

struct Case {
    const char* name;
    void (*fn)();
};

inline std::vector<Case>& registry() {
    static std::vector<Case> cases;
    return cases;
}

struct Registrar {
    Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

struct Failure {
    std::string message;
};

inline int& soft_failures() {
    static int n = 0;
    return n;
}

inline std::string where(const char* file, int line) {
    return std::string(file) + ":" + std::to_string(line) + ": ";
}

inline int run_all() {
    int failed = 0;
    for (const Case& c : registry()) {
        int before = soft_failures();
        bool ok = true;
        try {
            c.fn();
        } catch (const Failure& f) {
            std::cout << f.message << "\n";
            ok = false;
        } catch (const std::exception& e) {
            std::cout << "unexpected exception: " << e.what() << "\n";
            ok = false;
        } catch (...) {
            std::cout << "unexpected exception of unknown type\n";
            ok = false;
        }
        if (soft_failures() != before) ok = false;
        if (!ok) {
            ++failed;
            std::cout << "FAILED test case: " << c.name << "\n\n";
        }
    }
    int total = static_cast<int>(registry().size());
    if (failed == 0) {
        std::cout << "All tests passed (" << total << " test cases)\n";
    } else {
        std::cout << "test cases: " << total << " | " << (total - failed) << " passed | " << failed
                  << " failed\n";
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace tribench_check

#define TRIBENCH_CAT2(a, b) a##b
#define TRIBENCH_CAT(a, b) TRIBENCH_CAT2(a, b)
#define TEST_CASE(name, ...)                                                          \
    static void TRIBENCH_CAT(tribench_case_, __LINE__)();                             \
    static tribench_check::Registrar TRIBENCH_CAT(tribench_reg_, __LINE__)(          \
        name, &TRIBENCH_CAT(tribench_case_, __LINE__));                               \
    static void TRIBENCH_CAT(tribench_case_, __LINE__)()
#define REQUIRE(...)                                                                  \
    do {                                                                              \
        if (!(__VA_ARGS__))                                                           \
            throw tribench_check::Failure{tribench_check::where(__FILE__, __LINE__) + \
                                          "REQUIRE( " #__VA_ARGS__ " ) failed"};      \
    } while (0)
#define CHECK(...)                                                                    \
    do {                                                                              \
        if (!(__VA_ARGS__)) {                                                         \
            ++tribench_check::soft_failures();                                        \
            std::cout << tribench_check::where(__FILE__, __LINE__)                    \
                      << "CHECK( " #__VA_ARGS__ " ) failed\n";                        \
        }                                                                             \
    } while (0)
#define REQUIRE_THROWS_AS(expr, type)                                                 \
    do {                                                                              \
        bool tribench_threw = false;                                                  \
        try {                                                                         \
            (void)(expr);                                                             \
        } catch (const type&) {                                                       \
            tribench_threw = true;                                                    \
        } catch (...) {                                                               \
        }                                                                             \
        if (!tribench_threw)                                                          \
            throw tribench_check::Failure{tribench_check::where(__FILE__, __LINE__) + \
                                          "REQUIRE_THROWS_AS( " #expr ", " #type      \
                                          " ) failed"};                               \
    } while (0)

#ifdef CATCH_CONFIG_MAIN
int main() { return tribench_check::run_all(); }
#endif
