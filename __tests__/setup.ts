import { Testing } from "cdktf";
// Brings the types of cdktf's jest matchers into scope.
import "cdktf/lib/testing/adapters/jest";

// cdktf's matchers: toHaveResourceWithProperties, toHaveDataSourceWithProperties, ...
Testing.setupJest();
