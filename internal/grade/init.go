package grade

import (
	"sync"
	"testing"
)

var testingInit sync.Once

// testing_Init registers the testing flags that testscript's conditions
// read (such as [short]); without it they panic outside go test.
func testing_Init() { testingInit.Do(testing.Init) }
