import { ClusterNodes, formatNodesVariable, NODES_EXAMPLE, parseNodesVariable } from "../../operations/nodes-input";

const EXAMPLE = `'{"controlplane"=["192.168.1.1"],"worker"=["192.168.1.4"]}'`;

describe("formatNodesVariable", () => {
  test("writes the HCL object the seed's .envrc writes", () => {
    expect(formatNodesVariable({ controlplane: ["192.168.1.1", "192.168.1.2", "192.168.1.3"], worker: ["192.168.1.4", "192.168.1.5"] })).toBe(
      '{"controlplane"=["192.168.1.1","192.168.1.2","192.168.1.3"],"worker"=["192.168.1.4","192.168.1.5"]}',
    );
  });

  test("writes empty lists as []", () => {
    expect(formatNodesVariable({ controlplane: ["127.91.0.1"], worker: [] })).toBe('{"controlplane"=["127.91.0.1"],"worker"=[]}');
  });

  test("the example in every message is one such value, quoted for a shell", () => {
    expect(NODES_EXAMPLE).toBe(EXAMPLE);
  });

  test("what it writes parses back to the same nodes", () => {
    const nodes: ClusterNodes = { controlplane: ["192.168.1.1", "192.168.1.2", "192.168.1.3"], worker: ["192.168.1.4"] };
    expect(parseNodesVariable(formatNodesVariable(nodes))).toEqual(nodes);
    const empty: ClusterNodes = { controlplane: [], worker: [] };
    expect(parseNodesVariable(formatNodesVariable(empty))).toEqual(empty);
  });
});

describe("parseNodesVariable", () => {
  test("reads the seed's HCL form", () => {
    expect(parseNodesVariable('{"controlplane"=["192.168.1.1","192.168.1.2"],"worker"=["192.168.1.4"]}')).toEqual({
      controlplane: ["192.168.1.1", "192.168.1.2"],
      worker: ["192.168.1.4"],
    });
  });

  test("reads HCL with bare keys, spaces, newlines and trailing commas", () => {
    const text = ' {\n  controlplane = [ "192.168.1.1" , "192.168.1.2" , ] ,\n  worker = [ ] ,\n} \n';
    expect(parseNodesVariable(text)).toEqual({ controlplane: ["192.168.1.1", "192.168.1.2"], worker: [] });
  });

  test("reads the JSON form", () => {
    expect(parseNodesVariable('{"controlplane": ["127.91.0.1"], "worker": ["127.91.0.4", "127.91.0.5"]}')).toEqual({
      controlplane: ["127.91.0.1"],
      worker: ["127.91.0.4", "127.91.0.5"],
    });
  });

  test("the keys may come in any order", () => {
    expect(parseNodesVariable('{worker=["b"], controlplane=["a"]}')).toEqual({ controlplane: ["a"], worker: ["b"] });
  });

  test.each([
    ["an empty value", "", 'expected "{" at character 1, found the end'],
    ["a list instead of an object", '["192.168.1.1"]', 'expected "{" at character 1, found "["'],
    ["a key without =", '{controlplane ["a"]}', 'expected "=" after "controlplane" at character 15, found "["'],
    ["an address instead of a list", '{"controlplane"="a"}', 'expected a list [...] of addresses for "controlplane" at character 17, found """'],
    ["an unquoted address", '{"controlplane"=[a]}', 'expected a quoted address or "]" in "controlplane" at character 18, found "a"'],
    ["an address never closed", '{"controlplane"=["a', 'expected a closing " at character 20, found the end'],
    ["text after the closing }", '{"controlplane"=["a"],"worker"=[]} x', 'expected the end after the closing } at character 36, found "x"'],
    ["a key that is no identifier", "{1=[]}", 'expected a key such as "controlplane" at character 2, found "1"'],
    ["an object never closed", "{", 'expected a key such as "controlplane" at character 2, found the end'],
    ["a number in a list", '{"controlplane"=[1]}', 'expected a quoted address or "]" in "controlplane" at character 18, found "1"'],
  ])("%s does not parse, and the message says where and how to write it", (_, text, expected) => {
    expect(() => parseNodesVariable(text)).toThrow(new Error(`TF_VAR_nodes does not parse: ${expected}; write it as ${EXAMPLE}`));
  });

  test("a key other than controlplane and worker is named, with every other one", () => {
    expect(() => parseNodesVariable('{"workers"=[],"controlplane"=[]}')).toThrow(
      new Error(`TF_VAR_nodes has "workers", but only "controlplane" and "worker"; write it as ${EXAMPLE}`),
    );
    expect(() => parseNodesVariable('{"controlplane"=[], "worker"=[], "extra"=[], "more"=[]}')).toThrow(
      new Error(`TF_VAR_nodes has "extra", "more", but only "controlplane" and "worker"; write it as ${EXAMPLE}`),
    );
  });

  test("a missing list is named", () => {
    expect(() => parseNodesVariable('{"controlplane"=["a"]}')).toThrow(new Error(`TF_VAR_nodes has no "worker" list; write it as ${EXAMPLE}`));
    expect(() => parseNodesVariable('{"worker"=["a"]}')).toThrow(new Error(`TF_VAR_nodes has no "controlplane" list; write it as ${EXAMPLE}`));
    expect(() => parseNodesVariable("{}")).toThrow(new Error(`TF_VAR_nodes has no "controlplane" list; write it as ${EXAMPLE}`));
  });

  test("messages call the value what the caller names it", () => {
    expect(() => parseNodesVariable("{", "nodes in .envrc")).toThrow(
      new Error(`nodes in .envrc does not parse: expected a key such as "controlplane" at character 2, found the end; write it as ${EXAMPLE}`),
    );
    expect(() => parseNodesVariable("{}", "nodes in .envrc")).toThrow(new Error(`nodes in .envrc has no "controlplane" list; write it as ${EXAMPLE}`));
  });
});
