// Command wails-example is a Wails v2 desktop app whose backend is a
// Python HTTP sidecar, supervised by tether: it gets a free port for each
// attempt, is ready once /health answers, is restarted after a crash, and
// is stopped with its whole process tree when the app quits. Should the app
// be killed, even by SIGKILL, the watcher that comes with the tether package
// (this executable, re-run before main) kills that tree.
// The window shows its state, port and last output lines, with Restart and
// Crash buttons.
//
// Build it (Linux: libgtk-3-dev and libwebkit2gtk-4.1-dev):
//
//	go build -tags desktop,production,webkit2_41 -o wails-example .
package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

//go:embed frontend
var frontend embed.FS

func main() {
	assets, err := fs.Sub(frontend, "frontend")
	if err != nil {
		panic(err)
	}
	// 1. The sidecar, and the app that supervises it (app.go).
	app := newApp(sidecarSpec(), func(text string) { fmt.Println("window shows:", text) })
	err = wails.Run(&options.App{
		Title:       "tether + Wails",
		Width:       720,
		Height:      520,
		AssetServer: &assetserver.Options{Assets: assets},
		// 2. Start the sidecar with the app, stop it (tree and all) when
		// the app quits.
		OnStartup: func(ctx context.Context) {
			app.start(func(v View) { runtime.EventsEmit(ctx, "status", v) })
		},
		OnShutdown: func(context.Context) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			app.stop(ctx)
		},
		// 3. Give the window the sidecar's status and the buttons' methods.
		Bind: []any{app},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "wails:", err)
		os.Exit(1)
	}
}
